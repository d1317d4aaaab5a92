// berth's default seccomp profile: Docker's default in effect (moby/profiles seccomp/default_linux.go), kept as
// our own table, grouped by what the calls do. Anything not listed fails with EPERM. The notable calls that are
// NOT allowed for a default container, and why (docs.docker.com "Seccomp security profiles for Docker"):
//   keyctl, add_key, request_key   the kernel keyring is not namespaced
//   pivot_root, mount family, unshare, setns   need CAP_SYS_ADMIN (rules below)
//   io_uring_*                     a large attack surface that bypasses seccomp for queued operations
//   userfaultfd                    used to stall the kernel in exploits
//   kexec_*, reboot, swapon/off, *_module, acct, ...   host-wide effects, gated on the matching capability
#include <cerrno>

#include "engine/spec/seccomp.h"

namespace berth::spec::seccomp {
namespace {

constexpr const char* kAllow = "SCMP_ACT_ALLOW";
constexpr const char* kErrno = "SCMP_ACT_ERRNO";

// CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP:
// clone(2) with any of these would create namespaces, which needs CAP_SYS_ADMIN.
constexpr uint64_t kNamespaceCloneFlags = 0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 |
                                          0x40000000 | 0x02000000;
static_assert(kNamespaceCloneFlags == 0x7E020000);

constexpr uint64_t kAddressFamilyAlg = 38;    // AF_ALG
constexpr uint64_t kAddressFamilyVsock = 40;  // AF_VSOCK

ConditionalRule allow(std::vector<std::string> names) {
  return ConditionalRule{SyscallRule{std::move(names), kAllow, std::nullopt, {}}, std::nullopt, std::nullopt, ""};
}

ConditionalRule allow_with_cap(std::vector<std::string> names, std::string capability) {
  ConditionalRule rule = allow(std::move(names));
  rule.includes = Condition{{std::move(capability)}, {}, std::nullopt};
  return rule;
}

ConditionalRule allow_on_arches(std::vector<std::string> names, std::vector<std::string> arches) {
  ConditionalRule rule = allow(std::move(names));
  rule.includes = Condition{{}, std::move(arches), std::nullopt};
  return rule;
}

ConditionalRule allow_if_arg(std::string name, uint32_t index, uint64_t value, std::string op) {
  ConditionalRule rule = allow({std::move(name)});
  rule.rule.args.push_back(ArgCondition{index, value, 0, std::move(op)});
  return rule;
}

// Calls every container may make: files, memory, signals, time, sockets on existing fds, SysV IPC, identity.
std::vector<std::string> unconditional_allow_list() {
  return {
      // files and file descriptors
      "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range", "creat", "dup",
      "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fchdir", "fchmod",
      "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "flock", "fstat",
      "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futimesat", "getcwd",
      "getdents", "getdents64", "ioctl", "lchown", "lchown32", "link", "linkat", "_llseek", "lseek", "lstat",
      "lstat64", "mkdir", "mkdirat", "mknod", "mknodat", "name_to_handle_at", "newfstatat", "open", "openat",
      "openat2", "pipe", "pipe2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
      "readlinkat", "readv", "rename", "renameat", "renameat2", "rmdir", "sendfile", "sendfile64", "splice", "stat",
      "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "tee",
      "truncate", "truncate64", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
      "vmsplice", "write", "writev", "cachestat", "listmount", "statmount",
      // extended attributes
      "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "getxattr", "getxattrat", "lgetxattr", "listxattr",
      "listxattrat", "llistxattr", "lremovexattr", "lsetxattr", "removexattr", "removexattrat", "setxattr",
      "setxattrat",
      // waiting for events, asynchronous I/O
      "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
      "epoll_wait_old", "eventfd", "eventfd2", "fanotify_mark", "inotify_add_watch", "inotify_init",
      "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
      "io_pgetevents_time64", "io_setup", "io_submit", "ioprio_get", "ioprio_set", "_newselect", "poll", "ppoll",
      "ppoll_time64", "pselect6", "pselect6_time64", "select", "signalfd", "signalfd4", "timerfd_create",
      "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
      // memory
      "brk", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mlock",
      "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap", "mseal", "msync", "munlock", "munlockall",
      "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
      // processes and threads (clone/clone3 are conditional, below)
      "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "vfork", "futex", "futex_requeue",
      "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "get_robust_list", "set_robust_list",
      "get_thread_area", "set_thread_area", "set_tid_address", "getcpu", "getpgid", "getpgrp", "getpid", "getppid",
      "getpriority", "setpriority", "getsid", "setsid", "setpgid", "gettid", "kill", "tgkill", "tkill",
      "pidfd_open", "pidfd_send_signal", "prctl", "process_mrelease", "restart_syscall", "rseq", "seccomp",
      "wait4", "waitid", "waitpid", "uretprobe", "landlock_add_rule", "landlock_create_ruleset",
      "landlock_restrict_self", "riscv_hwprobe", "getrandom", "uname", "sysinfo", "times", "getrusage",
      "getrlimit", "setrlimit", "prlimit64", "ugetrlimit",
      // user and group identity
      "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
      "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid", "getuid32", "setfsgid", "setfsgid32",
      "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setregid", "setregid32",
      "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32",
      // scheduling
      "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
      "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
      "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
      // signals
      "alarm", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
      "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sigaltstack",
      "sigprocmask", "sigreturn",
      // clocks and timers (reading clocks; adjtimex/clock_adjtime only change them with CAP_SYS_TIME)
      "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
      "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "getitimer", "setitimer", "gettimeofday",
      "nanosleep", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
      "timer_settime", "timer_settime64",
      // sockets (socket(2) itself is conditional, below)
      "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
      "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto", "setsockopt",
      "shutdown", "socketcall", "socketpair",
      // System V IPC and POSIX message queues (the container has its own IPC namespace)
      "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
      "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop",
      "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
  };
}

}  // namespace

std::string native_arch() {
#if defined(__x86_64__) && defined(__ILP32__)
  return "x32";
#elif defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "x86";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loongarch64";
#else
  return "unknown";
#endif
}

DockerProfile default_profile() {
  DockerProfile profile;
  profile.default_action = kErrno;
  profile.default_errno_ret = EPERM;
  profile.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
      {"SCMP_ARCH_LOONGARCH64", {}},
  };

  auto& rules = profile.syscalls;
  rules.push_back(allow(unconditional_allow_list()));

  // Cross-process memory access: safe since 4.8, where ptrace can no longer be used to escape seccomp.
  {
    ConditionalRule rule = allow({"process_vm_readv", "process_vm_writev", "ptrace"});
    rule.includes = Condition{{}, {}, KernelVersion{4, 8}};
    rules.push_back(std::move(rule));
  }

  // socket(2) for every address family but AF_ALG (38, kernel crypto: a recurring source of exploits) and
  // AF_VSOCK (40, reaches the hypervisor, and vsock addresses are not namespaced). Three ranges: < 38, == 39, > 40.
  // 32-bit x86 creates sockets through socketcall(2), whose arguments seccomp cannot inspect.
  rules.push_back(allow_if_arg("socket", 0, kAddressFamilyAlg, "SCMP_CMP_LT"));
  rules.push_back(allow_if_arg("socket", 0, kAddressFamilyAlg + 1, "SCMP_CMP_EQ"));
  rules.push_back(allow_if_arg("socket", 0, kAddressFamilyVsock, "SCMP_CMP_GT"));

  // personality(2) only for the harmless personas: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and the
  // query value 0xffffffff. Others (e.g. READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE) weaken exploit mitigations.
  for (uint64_t persona : {0x0ULL, 0x0008ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL})
    rules.push_back(allow_if_arg("personality", 0, persona, "SCMP_CMP_EQ"));

  // Architecture-specific calls.
  rules.push_back(allow_on_arches({"sync_file_range2", "swapcontext"}, {"ppc64le"}));
  rules.push_back(allow_on_arches(
      {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"},
      {"arm", "arm64"}));
  rules.push_back(allow_on_arches({"arch_prctl"}, {"amd64", "x32"}));
  rules.push_back(allow_on_arches({"modify_ldt"}, {"amd64", "x32", "x86"}));
  rules.push_back(
      allow_on_arches({"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}, {"s390", "s390x"}));
  rules.push_back(allow_on_arches({"riscv_flush_icache"}, {"riscv64"}));

  // open_by_handle_at can open any file on the filesystem by handle ("shocker" escape): only with the cap.
  rules.push_back(allow_with_cap({"open_by_handle_at"}, "CAP_DAC_READ_SEARCH"));

  // CAP_SYS_ADMIN unlocks namespaces, mounts and the other administrative calls.
  rules.push_back(allow_with_cap({"bpf",           "clone",          "clone3",         "fanotify_init",
                                  "fsconfig",      "fsmount",        "fsopen",         "fspick",
                                  "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr",
                                  "mount",         "mount_setattr",  "move_mount",     "open_tree",
                                  "perf_event_open", "quotactl",     "quotactl_fd",    "setdomainname",
                                  "sethostname",   "setns",          "syslog",         "umount",
                                  "umount2",       "unshare"},
                                 "CAP_SYS_ADMIN"));

  // Without CAP_SYS_ADMIN, clone(2) only when it creates no namespace. s390 passes the flags second.
  {
    ConditionalRule rule = allow_if_arg("clone", 0, kNamespaceCloneFlags, "SCMP_CMP_MASKED_EQ");
    rule.excludes = Condition{{"CAP_SYS_ADMIN"}, {"s390", "s390x"}, std::nullopt};
    rules.push_back(std::move(rule));
  }
  {
    ConditionalRule rule = allow_if_arg("clone", 1, kNamespaceCloneFlags, "SCMP_CMP_MASKED_EQ");
    rule.includes = Condition{{}, {"s390", "s390x"}, std::nullopt};
    rule.excludes = Condition{{"CAP_SYS_ADMIN"}, {}, std::nullopt};
    rule.comment = "s390 parameter ordering for clone is different";
    rules.push_back(std::move(rule));
  }
  // clone3(2) keeps its flags in a struct seccomp cannot read, so it cannot be filtered like clone(2). ENOSYS
  // (not EPERM) makes glibc and others fall back to clone(2), which the rule above does check.
  {
    ConditionalRule rule{SyscallRule{{"clone3"}, kErrno, static_cast<uint32_t>(ENOSYS), {}}, std::nullopt,
                         Condition{{"CAP_SYS_ADMIN"}, {}, std::nullopt}, ""};
    rules.push_back(std::move(rule));
  }

  // One capability, one family of calls.
  rules.push_back(allow_with_cap({"reboot"}, "CAP_SYS_BOOT"));
  rules.push_back(allow_with_cap({"chroot"}, "CAP_SYS_CHROOT"));
  rules.push_back(allow_with_cap({"delete_module", "init_module", "finit_module"}, "CAP_SYS_MODULE"));
  rules.push_back(allow_with_cap({"acct"}, "CAP_SYS_PACCT"));
  rules.push_back(allow_with_cap(
      {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"},
      "CAP_SYS_PTRACE"));
  rules.push_back(allow_with_cap({"iopl", "ioperm"}, "CAP_SYS_RAWIO"));
  rules.push_back(allow_with_cap({"settimeofday", "stime", "clock_settime", "clock_settime64"}, "CAP_SYS_TIME"));
  rules.push_back(allow_with_cap({"vhangup"}, "CAP_SYS_TTY_CONFIG"));
  rules.push_back(
      allow_with_cap({"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}, "CAP_SYS_NICE"));
  rules.push_back(allow_with_cap({"syslog"}, "CAP_SYSLOG"));
  rules.push_back(allow_with_cap({"bpf"}, "CAP_BPF"));
  rules.push_back(allow_with_cap({"perf_event_open"}, "CAP_PERFMON"));
  return profile;
}

}  // namespace berth::spec::seccomp
