// Container HEALTHCHECK for both images: GET http://127.0.0.1:$METRICS_PORT/healthz, exit 0 on 200.
// The slim runtime image has no curl or wget, and Node has fetch; the default port is the image's own
// (argv[2]) so the check follows METRICS_PORT when an operator changes it. `/healthz`, not `/readyz`: a standby
// committer and a joining ingestor are healthy but not ready, and Docker restarts nothing on either.
const env = process.env;
const port = env.METRICS_PORT || process.argv[2];
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
