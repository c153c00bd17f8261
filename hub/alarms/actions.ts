// The handling loop's steps (处置闭环, docs/alarms.md): which state each step needs, which it leads to, and what its
// body must carry. No imports: the API routes, the handling transaction and the operator console all read this table.
export const ACTIONS = {
  ack: { from: 'open', to: 'acknowledged', requires: [] },
  assess: { from: 'acknowledged', to: 'assessed', requires: [] },
  dispatch: { from: 'assessed', to: 'dispatched', requires: ['assignee'] },
  resolve: { from: 'dispatched', to: 'resolved', requires: ['note'] },
  archive: { from: 'resolved', to: 'archived', requires: [] },
} as const satisfies Record<string, { from: string; to: string; requires: ReadonlyArray<'assignee' | 'note'> }>;
export type AlarmAction = keyof typeof ACTIONS;
