/**
 * The access log as one of the recorder's sinks, opened, swapped and closed with the config
 * (`log.access_log`): a reload that changes or removes it closes the old file after the recorder stops
 * writing to it.
 */
import type { Config } from '../config/schema.ts';
import { openAccessLog, type AccessLog } from '../telemetry/access-log.ts';
import type { Recorder } from '../telemetry/recorder.ts';

export interface AccessLogSink {
  /** Opens the config's access log (closing the previous one), or none when the config has none. */
  apply(config: Config): void;
  /** Lines dropped because the file could not keep up (0 without a log). */
  dropped(): number;
  /** Closes the open log, if any. */
  close(): Promise<void>;
}

/** Creates the sink holder; nothing is opened until {@link AccessLogSink.apply}. */
export function createAccessLogSink(recorder: Recorder): AccessLogSink {
  let accessLog: AccessLog | null = null;
  return {
    apply(config) {
      const want = config.log.access_log;
      if (accessLog) {
        const old = accessLog;
        recorder.removeSink('access_log');
        accessLog = null;
        void old.close();
      }
      if (want) {
        const log = openAccessLog(want.path, want.format);
        accessLog = log;
        recorder.addSink('access_log', (r) => log.write(r));
      }
    },
    dropped: () => accessLog?.dropped ?? 0,
    async close() {
      if (accessLog) await accessLog.close();
    },
  };
}
