#include "engine/runtime/names.h"

#include <signal.h>
#include <sys/resource.h>

#include <array>
#include <cctype>
#include <charconv>

namespace berth::runtime {
namespace {

// Index = capability number (linux/capability.h).
constexpr std::array<std::string_view, 41> kCapabilityNames = {
    "CHOWN",          "DAC_OVERRIDE",  "DAC_READ_SEARCH", "FOWNER",         "FSETID",       "KILL",
    "SETGID",         "SETUID",        "SETPCAP",         "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
    "NET_BROADCAST",  "NET_ADMIN",     "NET_RAW",         "IPC_LOCK",       "IPC_OWNER",    "SYS_MODULE",
    "SYS_RAWIO",      "SYS_CHROOT",    "SYS_PTRACE",      "SYS_PACCT",      "SYS_ADMIN",    "SYS_BOOT",
    "SYS_NICE",       "SYS_RESOURCE",  "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",        "LEASE",
    "AUDIT_WRITE",    "AUDIT_CONTROL", "SETFCAP",         "MAC_OVERRIDE",   "MAC_ADMIN",    "SYSLOG",
    "WAKE_ALARM",     "BLOCK_SUSPEND", "AUDIT_READ",      "PERFMON",        "BPF",          "CHECKPOINT_RESTORE",
};

struct NamedNumber {
  std::string_view name;
  int number;
};

constexpr NamedNumber kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},       {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},     {"IOT", SIGIOT},       {"BUS", SIGBUS},       {"FPE", SIGFPE},       {"KILL", SIGKILL},
    {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
    {"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},      {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},     {"WINCH", SIGWINCH},
    {"IO", SIGIO},         {"POLL", SIGPOLL},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

constexpr NamedNumber kRlimits[] = {
    {"AS", RLIMIT_AS},           {"CORE", RLIMIT_CORE},         {"CPU", RLIMIT_CPU},
    {"DATA", RLIMIT_DATA},       {"FSIZE", RLIMIT_FSIZE},       {"LOCKS", RLIMIT_LOCKS},
    {"MEMLOCK", RLIMIT_MEMLOCK}, {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},
    {"NOFILE", RLIMIT_NOFILE},   {"NPROC", RLIMIT_NPROC},       {"RSS", RLIMIT_RSS},
    {"RTPRIO", RLIMIT_RTPRIO},   {"RTTIME", RLIMIT_RTTIME},     {"SIGPENDING", RLIMIT_SIGPENDING},
    {"STACK", RLIMIT_STACK},
};

std::string upper(std::string_view text) {
  std::string result(text);
  for (auto& c : result) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return result;
}

std::string_view strip_prefix(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  return text;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  std::string wanted = upper(name);
  std::string_view bare = strip_prefix(wanted, "CAP_");
  for (size_t i = 0; i < kCapabilityNames.size(); ++i)
    if (kCapabilityNames[i] == bare) return static_cast<int>(i);
  return std::nullopt;
}

int last_known_capability() { return static_cast<int>(kCapabilityNames.size()) - 1; }

std::optional<int> signal_from_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(name.front()))) {
    auto number = parse_int(name);
    if (!number || *number <= 0 || *number >= NSIG) return std::nullopt;
    return number;
  }
  std::string wanted = upper(name);
  std::string_view bare = strip_prefix(wanted, "SIG");
  for (const auto& signal : kSignals)
    if (signal.name == bare) return signal.number;
  // Real-time signals: RTMIN, RTMIN+N, RTMAX, RTMAX-N.
  auto realtime = [&](std::string_view base_name, int base, char sign) -> std::optional<int> {
    if (bare.substr(0, base_name.size()) != base_name) return std::nullopt;
    std::string_view rest = bare.substr(base_name.size());
    if (rest.empty()) return base;
    if (rest.front() != sign) return std::nullopt;
    auto offset = parse_int(rest.substr(1));
    if (!offset || *offset < 0) return std::nullopt;
    int number = sign == '+' ? base + *offset : base - *offset;
    if (number < SIGRTMIN || number > SIGRTMAX) return std::nullopt;
    return number;
  };
  if (auto number = realtime("RTMIN", SIGRTMIN, '+')) return number;
  if (auto number = realtime("RTMAX", SIGRTMAX, '-')) return number;
  return std::nullopt;
}

std::optional<int> rlimit_from_name(std::string_view name) {
  std::string wanted = upper(name);
  std::string_view bare = strip_prefix(wanted, "RLIMIT_");
  for (const auto& rlimit : kRlimits)
    if (rlimit.name == bare) return rlimit.number;
  return std::nullopt;
}

}  // namespace berth::runtime
