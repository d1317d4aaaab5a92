#include "core/process.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <fmt/core.h>

#include "core/fs.h"

namespace berth {

Result<uint64_t> parse_start_time(const std::string& stat_content) {
  // "pid (comm) state ppid ..." — comm may contain ") ", so split after the last ')'.
  auto close = stat_content.rfind(')');
  if (close == std::string::npos) return unexpected(Error("malformed /proc stat: no ')'"));
  // Fields after comm start at field 3 (state); start time is field 22.
  size_t position = close + 1;
  int field = 2;
  while (position < stat_content.size()) {
    while (position < stat_content.size() && stat_content[position] == ' ') ++position;
    size_t end = stat_content.find(' ', position);
    if (end == std::string::npos) end = stat_content.size();
    ++field;
    if (field == 22) {
      uint64_t value = 0;
      auto [ptr, ec] = std::from_chars(stat_content.data() + position, stat_content.data() + end, value);
      if (ec != std::errc()) return unexpected(Error("malformed /proc stat: bad start time"));
      return value;
    }
    position = end;
  }
  return unexpected(Error("malformed /proc stat: too few fields"));
}

Result<uint64_t> process_start_time(pid_t pid, const std::string& proc_root) {
  auto content = BERTH_TRY(fs::read_file(fmt::format("{}/{}/stat", proc_root, pid)));
  return parse_start_time(content);
}

Result<ProcessIdentity> identify_process(pid_t pid) {
  auto start = BERTH_TRY(process_start_time(pid));
  return ProcessIdentity{pid, start};
}

bool process_is_alive(const ProcessIdentity& identity) {
  if (identity.pid <= 0) return false;
  auto content = fs::read_file(fmt::format("/proc/{}/stat", identity.pid));
  if (!content) return false;
  auto start = parse_start_time(*content);
  if (!start || *start != identity.start_time) return false;
  auto close = content->rfind(')');
  if (close != std::string::npos && close + 2 < content->size()) {
    char state = (*content)[close + 2];
    if (state == 'Z' || state == 'X') return false;
  }
  return true;
}

Result<UniqueFd> open_pidfd(pid_t pid) {
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return sys_error(fmt::format("pidfd_open {}", pid));
  return UniqueFd(static_cast<int>(fd));
}

Result<void> signal_pidfd(int pidfd, int signal) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) != 0)
    return sys_error(fmt::format("send signal {}", signal));
  return {};
}

Result<int> wait_for_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    return sys_error(fmt::format("waitpid {}", pid));
  }
  return status;
}

int parse_signal(std::string_view name) {
  static constexpr std::pair<std::string_view, int> kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
      {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH},
      {"ALRM", SIGALRM}, {"PIPE", SIGPIPE}, {"ABRT", SIGABRT}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"PWR", SIGPWR},
      {"SYS", SIGSYS},   {"TRAP", SIGTRAP}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"SEGV", SIGSEGV}};
  std::string upper;
  for (char c : name) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (upper.rfind("SIG", 0) == 0) upper.erase(0, 3);
  for (auto [text, number] : kSignals)
    if (upper == text) return number;
  int number = 0;
  auto [end, error] = std::from_chars(upper.data(), upper.data() + upper.size(), number);
  if (error == std::errc() && end == upper.data() + upper.size() && number > 0 && number < 65) return number;
  return -1;
}

int exit_code_from_wait_status(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 255;
}

}  // namespace berth
