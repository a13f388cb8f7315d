// Server-wide counters of streamed inference (ModelStreamInfer and decoupled loops): streams open, flow-control
// pauses, bytes handed to a transport that it has not flushed yet (now and at peak), and decoupled loop steps.
// Owned by the DataPlane; tests and the metrics endpoint read them.

export class StreamCounters {
  streamsOpened = 0;
  streamsActive = 0;
  /** Times a stream's transport said "buffer full" and the stream stopped producing until it drained. */
  pauses = 0;
  /** Response tensor bytes handed to transports and not yet flushed by them, over all streams. */
  bufferedBytes = 0;
  peakBufferedBytes = 0;
  /** Steps run by decoupled loops (one model execution each). */
  loopSteps = 0;

  buffered(bytes: number): void {
    this.bufferedBytes += bytes;
    if (this.bufferedBytes > this.peakBufferedBytes) this.peakBufferedBytes = this.bufferedBytes;
  }

  flushed(bytes: number): void {
    this.bufferedBytes -= bytes;
  }
}
