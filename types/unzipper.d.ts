// The part of unzipper (0.10) the XLSX reader uses: an archive opened through its central directory, from a source
// of our own (so every file stream it opens can be closed).
declare module 'unzipper' {
  import type { Readable } from 'node:stream';

  export interface CentralDirectoryFile {
    path: string;
    type: 'File' | 'Directory';
    compressedSize: number;
    uncompressedSize: number;
    stream(password?: string): Readable;
  }

  export interface CentralDirectory {
    files: CentralDirectoryFile[];
  }

  /** Where the archive's bytes come from: a stream from `offset` (to the end, or `length` bytes), and the size. */
  export interface Source {
    stream(offset: number, length?: number): Readable;
    size(): Promise<number>;
  }

  export const Open: {
    custom(source: Source): Promise<CentralDirectory>;
  };
}
