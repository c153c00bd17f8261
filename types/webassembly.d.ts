// Minimal typing for the parts of the WebAssembly global the hub uses (Node has it; TypeScript declares it only in
// the DOM library, which this project does not load): the embedded store compiles PGlite's engine once per process.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
    static exports(module: Module): Array<{ name: string; kind: string }>;
  }
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
