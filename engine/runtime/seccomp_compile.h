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

}  // namespace berth::runtime
