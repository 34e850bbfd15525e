import type { temporal } from '@temporalio/proto';

/** What a local activity's marker says about it (the SDK core writes these details as plain JSON). */
export interface LocalActivityMarker {
  readonly activityType: string;
  /** The attempt that ended it: 3 after two retries. */
  readonly attempt: number;
  /** Whether it ended in a failure (the marker then carries it instead of a result). */
  readonly failed: boolean;
}

/** The local activity markers of a history, in order. */
export function localActivityMarkers(events: readonly temporal.api.history.v1.IHistoryEvent[]): LocalActivityMarker[] {
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = marker.details?.data?.payloads?.[0]?.data;
    if (!data) throw new Error(`local activity marker ${String(e.eventId)} has no details`);
    const details = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string; attempt: number };
    return [{ activityType: details.activity_type, attempt: details.attempt, failed: marker.failure != null }];
  });
}
