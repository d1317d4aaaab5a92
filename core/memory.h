// Letting a long-lived process give back what only its start-up needed.
#pragma once

namespace berth {

// Drops this process's resident pages that can be re-read from their files at no risk — clean, read-only,
// file-backed mappings (code and constant data of the binary and its libraries) — and returns free heap to the
// kernel. What the process still uses faults back in on demand. The per-container supervisor calls this once the
// container runs: its steady state is an event loop that touches a few pages, while launching touched megabytes.
void shed_startup_memory();

}  // namespace berth
