// Compiles a translated seccomp section to a BPF program with libseccomp, in the parent: the child only hands the
// finished program to seccomp(2), so it needs neither libseccomp's allocations nor its error paths.
#pragma once

#include <vector>

#include "core/result.h"
#include "engine/runtime/init_plan.h"
#include "engine/runtime/oci_spec.h"

namespace berth::runtime {

// Syscall names libseccomp does not know (newer than it, or of another architecture) are skipped, as runc does;
// rules whose action equals the default action are redundant and skipped too.
Result<std::vector<BpfInstruction>> compile_seccomp(const SeccompSpec& spec);

// Pure: a key that changes whenever the compiled program could (the translated spec and libseccomp's version).
std::string seccomp_cache_key(const SeccompSpec& spec);

// compile_seccomp through a cache of finished programs in `cache_dir` (one file per key): libseccomp needs ~13 ms
// of CPU for Docker's default profile on three architectures, every container of a project uses the same one.
// An unreadable cache entry is recompiled; an unwritable cache only costs the time.
Result<std::vector<BpfInstruction>> compile_seccomp_cached(const SeccompSpec& spec, const std::string& cache_dir);

}  // namespace berth::runtime
