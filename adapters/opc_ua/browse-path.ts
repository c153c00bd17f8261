// Browse paths as users write them (`/Objects/WaterPlant/PT101.PV`) → OPC UA relative-path text with namespace
// indexes (`/Objects/1:WaterPlant/1:PT101.1:PV`), which node-opcua's makeBrowsePath reads. Pure: no I/O.

/** Names of namespace 0 that stay unprefixed (the standard folders and the Server object's usual members). */
const STANDARD = new Set(['Objects', 'Server', 'Types', 'Views', 'ObjectTypes', 'VariableTypes', 'DataTypes', 'ReferenceTypes', 'EventTypes',
  'ServerStatus', 'ServerCapabilities', 'ServerDiagnostics', 'NamespaceArray', 'ServerArray', 'CurrentTime', 'State', 'BuildInfo', 'StartTime']);

/**
 * Give every unprefixed name (other than the standard ones) the namespace index `ns`.
 * Separators: `/` (hierarchical), `.` (aggregates); `&` escapes a reserved character in a name (`PT&.101`).
 */
export function qualifyBrowsePath(path: string, ns: number): string {
  if (!path.startsWith('/')) throw new Error(`browse path must start with "/": ${path}`);
  let out = '';
  let name = '';
  const flush = () => {
    if (!name) return;
    out += /^\d+:/.test(name) || STANDARD.has(name) || ns === 0 ? name : `${ns}:${name}`;
    name = '';
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '&' && i + 1 < path.length) { name += c + path[++i]; continue; }
    if (c === '/' || c === '.') { flush(); out += c; continue; }
    name += c;
  }
  flush();
  return out;
}
