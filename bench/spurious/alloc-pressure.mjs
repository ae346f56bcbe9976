// alloc-pressure: bench/spurious preloads this into the daemons under test (NODE_OPTIONS=--import),
// never into a production run. It allocates short-lived garbage on the main thread all the time,
// so the collector runs often, as in a daemon under heavy allocation: the election must not
// mistake the resulting pauses for a dead peer. MB_PER_TICK sets how much per 5 ms tick.
const mbPerTick = Number(process.env.TANDEM_BENCH_ALLOC_MB_PER_TICK ?? 4);
let keep = [];
const timer = setInterval(() => {
  const batch = [];
  // About 1 MB per 16k small objects of ~64 bytes each.
  for (let i = 0; i < mbPerTick * 16_384; i++) batch.push({ i, s: `x${i}` });
  // Keep a few batches alive a little longer, so some survive a scavenge and reach old space.
  keep.push(batch);
  if (keep.length > 8) keep = keep.slice(-4);
}, 5);
timer.unref();
