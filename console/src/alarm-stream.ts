// The alarm pages' live feed: GET /v1/alarms/stream (Server-Sent Events) read through fetch, since the browser's
// EventSource cannot send the key as a header. Each event names the alarm it changed; the page reloads what it shows.
// A dropped stream reconnects after a few seconds with Last-Event-ID, so no event in between is missed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getStream } from './api.ts';
import { parseSse } from './alarms-model.ts';

const RETRY_MS = 3000;

/** Calls `onEvent(alarmId)` for every alarm event as it commits; answers whether the stream is connected. */
export function useAlarmStream(onEvent: (alarmId: string) => void): boolean {
  const [live, setLive] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const abort = new AbortController();
    let last: string | undefined;
    const run = async () => {
      while (!abort.signal.aborted) {
        try {
          const res = await getStream('/v1/alarms/stream', abort.signal, last);
          setLive(true);
          const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseSse(buffer + value);
            buffer = parsed.rest;
            for (const e of parsed.events) {
              if (e.id) last = e.id;
              if (e.event !== 'alarm') continue;
              try { handler.current(String((JSON.parse(e.data) as { alarm: { id: string } }).alarm.id)); } catch { /* not an alarm event */ }
            }
          }
        } catch (e) {
          // Alarms off (404) or a key that may not read them: nothing to follow; the page's own reads say why.
          if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return;
          /* the hub went away: retried below */
        }
        if (abort.signal.aborted) return;
        setLive(false);
        await new Promise((ok) => setTimeout(ok, RETRY_MS));
      }
    };
    void run();
    return () => abort.abort();
  }, []);
  return live;
}
