// Pieces the alarm board and the alarm page share: a level in its configured colour and name, and the handling state
// with whether the condition still holds and whether a deadline has passed.
import { lang, t } from './i18n.ts';
import { colour } from './overview.tsx';
import { levelLabel, stateName, type Alarm } from './alarms-model.ts';

/** Light colours (yellow) need dark text to be read. */
const LIGHT = new Set(['yellow', '#e6b800', 'gold', 'white']);

export function LevelBadge(p: { a: Pick<Alarm, 'level' | 'level_name' | 'level_colour'> }) {
  const c = p.a.level_colour ?? '';
  return <span class="lvl" data-colour={c} style={{ background: colour(c), color: LIGHT.has(c) ? '#1d2733' : '#fff' }}>{levelLabel(p.a, lang.get())}</span>;
}

const TONE: Record<string, string> = { open: 'bad', acknowledged: 'warn', assessed: 'warn', dispatched: 'warn', resolved: 'good', archived: 'muted' };

export function StateCell(p: { a: Pick<Alarm, 'state' | 'active' | 'overdue'> }) {
  return (
    <span class="state-cell">
      <span class={`pill ${TONE[p.a.state] ?? 'muted'}`} data-testid="state">{stateName(p.a.state, lang.get())}</span>
      {p.a.active ? <span class="bad-text small"> {t('stillActive')}</span> : <span class="muted small"> {t('cleared')}</span>}
      {p.a.overdue && <span class="pill bad"> {t('overdue')}</span>}
    </span>
  );
}
