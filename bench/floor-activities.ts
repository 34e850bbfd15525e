/**
 * The floor's activity: does nothing, so what is measured is Temporal's own cost of one regular
 * activity (schedule, dispatch, complete), the same shape as the gateway's provider call.
 */

/** Activities registered on the `bench-floor` task queue. */
export const floorActivities = {
  /** Returns at once. */
  async noop(): Promise<void> {
    // Intentionally empty.
  },
  /** Takes a payload and returns `resultBytes` characters: payload sizes without work. */
  async echo(_payload: string, resultBytes: number): Promise<string> {
    return 'x'.repeat(resultBytes);
  },
};

/** Type the floor workflow proxies. */
export type FloorActivities = typeof floorActivities;
