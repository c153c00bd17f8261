// A list that renders only the rows in view (plus a few either side): 10,000 devices are 10,000 entries in an array
// but only ~30 rows in the DOM, so scrolling stays smooth. Rows have one fixed height; the scroll box is as tall as
// the whole list (a spacer), the visible slice sits at its offset.
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 8;

export function VirtualList<T>(p: {
  items: T[]; rowHeight: number; height: number; render: (item: T, index: number) => ComponentChildren; testid?: string;
  /** Told the rows drawn (first inclusive, last exclusive) whenever they change: the page refreshes those first. */
  onRange?: (first: number, last: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    // A shorter list (a filter applied) pulls the view back inside it.
    if (el.scrollTop > Math.max(0, p.items.length * p.rowHeight - p.height)) el.scrollTop = 0;
    setTop(el.scrollTop);
  }, [p.items.length]);
  useEffect(() => {
    const el = box.current!;
    let frame = 0;
    const on = () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; setTop(el.scrollTop); }); };
    el.addEventListener('scroll', on, { passive: true });
    return () => { el.removeEventListener('scroll', on); cancelAnimationFrame(frame); };
  }, []);
  const first = Math.max(0, Math.floor(top / p.rowHeight) - OVERSCAN);
  const last = Math.min(p.items.length, Math.ceil((top + p.height) / p.rowHeight) + OVERSCAN);
  useEffect(() => { p.onRange?.(first, last); }, [first, last, p.items]);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) rows.push(p.render(p.items[i]!, i));
  return (
    <div ref={box} class="vlist" style={{ height: `${p.height}px` }} data-testid={p.testid} data-count={p.items.length}>
      <div style={{ height: `${p.items.length * p.rowHeight}px`, position: 'relative' }}>
        <div style={{ position: 'absolute', top: `${first * p.rowHeight}px`, left: 0, right: 0 }}>{rows}</div>
      </div>
    </div>
  );
}
