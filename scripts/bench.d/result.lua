-- result.lua -- wrk reporter for scripts/bench: one machine-readable line.
-- Latencies are in microseconds; errors = connect + read + write + timeout
-- socket errors + responses with a status outside 2xx/3xx.
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"RESULT requests=%d duration_us=%d bytes=%d p50_us=%.0f p99_us=%.0f max_us=%.0f errors=%d\n",
		summary.requests, summary.duration, summary.bytes,
		latency:percentile(50), latency:percentile(99), latency.max,
		e.connect + e.read + e.write + e.timeout + e.status))
end
