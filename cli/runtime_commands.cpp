// `berth runtime ...` (also reachable as `berth-runtime ...`): the OCI runtime command line, shaped like runc's so that
// tools which drive runc (conmon, containerd's shim, runtime-tools' validation) can drive berth's runtime.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/process.h"
#include "core/text.h"
#include "engine/runtime/names.h"
#include "engine/runtime/runtime.h"

namespace berth::cli {
namespace {

struct RuntimeGlobals {
  std::string root;        // runc's --root: the runtime state directory itself
  std::string log_file;    // runc's --log: errors are appended there too (containerd reads them)
  std::string log_format = "text";
  bool systemd_cgroup = false;
  bool debug = false;
};

struct CreateFlags {
  std::string bundle = ".";
  std::string console_socket;
  std::string pid_file;
  std::string id;
  bool detach = false;
  bool keep = false;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
};

struct ExecFlags {
  std::string id;
  std::string process_file;
  std::vector<std::string> command;
  std::string cwd;
  std::string user;
  std::string console_socket;
  std::string pid_file;
  bool tty = false;
  bool detach = false;
};

std::string state_directory(const RuntimeGlobals& globals, const CommandContext& context) {
  if (!globals.root.empty()) return globals.root;
  return context.state().runtime_state();
}

// One line on stderr, and in the --log file (JSON with --log-format json) for the tools that read it.
int fail_command(const RuntimeGlobals& globals, const Error& error, int exit_code = kExitFailure) {
  if (!globals.log_file.empty()) {
    std::string line;
    if (globals.log_format == "json")
      line = nlohmann::json{{"level", "error"}, {"msg", error.message()}, {"time", text::now_rfc3339_nano()}}.dump();
    else
      line = fmt::format("time=\"{}\" level=error msg=\"{}\"", text::now_rfc3339_nano(), error.message());
    line += '\n';
    int fd = ::open(globals.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }
  return report_failure(error, exit_code);
}

void apply_globals(const RuntimeGlobals& globals) {
  if (globals.debug) log::set_level(log::Level::debug);
  if (globals.systemd_cgroup) log::debug("--systemd-cgroup is ignored: berth manages cgroupfs directly");
}

// Exit code of a program that could not be started, as Docker and shells: 127 not found, 126 not executable.
int exit_code_for_start_error(const Error& error) {
  if (error.errno_value() == ENOENT && error.message().find("exec: ") != std::string::npos) return kExitNotFound;
  if (error.errno_value() == EACCES && error.message().find("exec: ") != std::string::npos) return kExitCannotInvoke;
  return kExitFailure;
}

// Copies between our terminal and the container's pty until the container's process exits.
class ConsoleRelay {
 public:
  explicit ConsoleRelay(int master) : master_(master) {
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);
      raw_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  }
  ~ConsoleRelay() {
    if (raw_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  // One readable event; false when the pty is closed.
  bool pump(short stdin_events, short master_events) {
    char buffer[8192];
    if (master_events & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(master_, buffer, sizeof buffer);
      if (n <= 0) return false;
      (void)!::write(STDOUT_FILENO, buffer, static_cast<size_t>(n));
    }
    if (stdin_events & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n > 0) (void)!::write(master_, buffer, static_cast<size_t>(n));
      if (n <= 0) stdin_open_ = false;
    }
    return true;
  }
  bool stdin_open() const { return stdin_open_; }

 private:
  int master_;
  termios saved_{};
  bool raw_ = false;
  bool stdin_open_ = true;
};

// Forwards our signals to `pidfd`'s process until it exits; relays the console if there is one. Returns the exit
// code (128+N for a signal).
int supervise(pid_t pid, int pidfd, int console_master) {
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&forwarded, signal);
  UniqueFd signals(::signalfd(-1, &forwarded, SFD_CLOEXEC));
  std::optional<ConsoleRelay> relay;
  if (console_master >= 0) relay.emplace(console_master);
  for (;;) {
    pollfd entries[4] = {{pidfd, POLLIN, 0}, {signals.get(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
    if (relay) {
      entries[2].fd = console_master;
      entries[3].fd = relay->stdin_open() ? STDIN_FILENO : -1;
    }
    if (::poll(entries, 4, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (entries[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signals.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGWINCH && console_master >= 0) {
          winsize size{};
          if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) ::ioctl(console_master, TIOCSWINSZ, &size);
        } else {
          (void)signal_pidfd(pidfd, static_cast<int>(info.ssi_signo));
        }
      }
    }
    if (relay && (entries[2].revents || entries[3].revents)) {
      if (!relay->pump(entries[3].revents, entries[2].revents) && !(entries[0].revents & POLLIN)) {
        // The pty closed: the process is about to be reaped.
      }
    }
    if (entries[0].revents & POLLIN) {
      if (relay) {
        // Drain what the program printed last.
        pollfd last{console_master, POLLIN, 0};
        while (::poll(&last, 1, 0) > 0 && relay->pump(0, last.revents)) {
        }
      }
      break;
    }
  }
  auto status = wait_for_child(pid);
  return status ? exit_code_from_wait_status(*status) : kExitFailure;
}

sigset_t block_forwarded_signals() {
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&forwarded, signal);
  ::sigprocmask(SIG_BLOCK, &forwarded, &previous);
  return previous;
}

void add_create_flags(CLI::App* command, CreateFlags& flags) {
  command->add_option("-b,--bundle", flags.bundle, "Path to the bundle directory (default: current directory)");
  command->add_option("--console-socket", flags.console_socket,
                      "AF_UNIX socket that receives the pty master when process.terminal is true");
  command->add_option("--pid-file", flags.pid_file, "File to write the container init's pid to");
  command->add_flag("--no-pivot", flags.no_pivot, "Accepted for compatibility; berth always uses pivot_root");
  command->add_flag("--no-new-keyring", flags.no_new_keyring, "Accepted for compatibility");
  command->add_option("--preserve-fds", flags.preserve_fds, "Must be 0 (passing extra fds is not supported)");
  command->add_option("id", flags.id, "Container id")->required();
}

Result<void> check_create_flags(const CreateFlags& flags) {
  if (flags.preserve_fds != 0)
    return unexpected(Error("--preserve-fds is not supported by berth's runtime", EINVAL));
  if (flags.no_pivot) log::debug("--no-pivot is ignored: berth always uses pivot_root");
  return {};
}

runtime::CreateOptions create_options(const CreateFlags& flags) {
  runtime::CreateOptions options;
  options.bundle = flags.bundle;
  options.id = flags.id;
  options.console_socket = flags.console_socket;
  options.pid_file = flags.pid_file;
  return options;
}

Result<std::string> exec_process_json(const ExecFlags& flags) {
  if (!flags.process_file.empty()) return fs::read_file(flags.process_file);
  if (flags.command.empty()) return unexpected(Error("exec needs a command or --process", EINVAL));
  nlohmann::json process = {{"args", flags.command}};
  if (flags.tty) process["terminal"] = true;
  if (!flags.cwd.empty()) process["cwd"] = flags.cwd;
  if (!flags.user.empty()) {
    auto parts = text::split(flags.user, ':');
    try {
      nlohmann::json user = {{"uid", std::stoul(parts[0])}, {"gid", parts.size() > 1 ? std::stoul(parts[1]) : 0}};
      process["user"] = user;
    } catch (const std::exception&) {
      return unexpected(Error(fmt::format("--user \"{}\": expected UID[:GID]", flags.user), EINVAL));
    }
  }
  return process.dump();
}

}  // namespace

void register_runtime_commands(CLI::App& app, CommandContext& context) {
  auto* runtime_command = app.add_subcommand("runtime", "OCI runtime: run containers from bundles (like runc)");
  runtime_command->require_subcommand(1);
  auto globals = std::make_shared<RuntimeGlobals>();
  runtime_command->add_option("--root", globals->root, "Directory for the runtime's state (default <run>/runtime)");
  runtime_command->add_option("--log", globals->log_file, "Also append errors to this file");
  runtime_command->add_option("--log-format", globals->log_format, "text or json");
  runtime_command->add_flag("--systemd-cgroup", globals->systemd_cgroup, "Ignored (berth manages cgroupfs)");
  runtime_command->add_flag("--debug", globals->debug, "Debug logging");
  auto ignored = std::make_shared<std::string>();
  runtime_command->add_option("--rootless", *ignored, "Ignored (berth's runtime runs as root)");

  auto create_flags = std::make_shared<CreateFlags>();
  auto* create = runtime_command->add_subcommand("create", "Create a container (its init waits for `start`)");
  add_create_flags(create, *create_flags);
  create->callback([&context, globals, create_flags] {
    apply_globals(*globals);
    if (auto checked = check_create_flags(*create_flags); !checked) {
      context.exit_code = fail_command(*globals, checked.error());
      return;
    }
    runtime::Runtime runtime(state_directory(*globals, context));
    auto created = runtime.create(create_options(*create_flags));
    if (!created) {
      context.exit_code = fail_command(*globals, created.error());
      return;
    }
  });

  auto start_id = std::make_shared<std::string>();
  auto* start = runtime_command->add_subcommand("start", "Run the program of a created container");
  start->add_option("id", *start_id, "Container id")->required();
  start->callback([&context, globals, start_id] {
    apply_globals(*globals);
    runtime::Runtime runtime(state_directory(*globals, context));
    if (auto started = runtime.start(*start_id); !started)
      context.exit_code = fail_command(*globals, started.error(), exit_code_for_start_error(started.error()));
  });

  auto state_id = std::make_shared<std::string>();
  auto* state = runtime_command->add_subcommand("state", "Print a container's OCI state as JSON");
  state->add_option("id", *state_id, "Container id")->required();
  state->callback([&context, globals, state_id] {
    apply_globals(*globals);
    runtime::Runtime runtime(state_directory(*globals, context));
    auto json = runtime.state_json(*state_id);
    if (!json) {
      context.exit_code = fail_command(*globals, json.error());
      return;
    }
    std::printf("%s\n", json->c_str());
  });

  auto kill_id = std::make_shared<std::string>();
  auto kill_signal = std::make_shared<std::string>("SIGTERM");
  auto kill_all = std::make_shared<bool>(false);
  auto* kill = runtime_command->add_subcommand("kill", "Send a signal to a container's init (default SIGTERM)");
  kill->add_flag("-a,--all", *kill_all, "Signal every process of the container");
  kill->add_option("id", *kill_id, "Container id")->required();
  kill->add_option("signal", *kill_signal, "Signal name or number");
  kill->callback([&context, globals, kill_id, kill_signal, kill_all] {
    apply_globals(*globals);
    auto signal = runtime::signal_from_name(*kill_signal);
    if (!signal) {
      context.exit_code = fail_command(*globals, Error(fmt::format("unknown signal \"{}\"", *kill_signal), EINVAL));
      return;
    }
    runtime::Runtime runtime(state_directory(*globals, context));
    if (auto killed = runtime.kill(*kill_id, *signal, *kill_all); !killed)
      context.exit_code = fail_command(*globals, killed.error());
  });

  auto delete_id = std::make_shared<std::string>();
  auto delete_force = std::make_shared<bool>(false);
  auto* remove = runtime_command->add_subcommand("delete", "Delete a container's cgroup and state");
  remove->add_flag("-f,--force", *delete_force, "Kill it first if it is running");
  remove->add_option("id", *delete_id, "Container id")->required();
  remove->callback([&context, globals, delete_id, delete_force] {
    apply_globals(*globals);
    runtime::Runtime runtime(state_directory(*globals, context));
    if (auto removed = runtime.remove(*delete_id, *delete_force); !removed)
      context.exit_code = fail_command(*globals, removed.error());
  });

  auto* list = runtime_command->add_subcommand("list", "List containers");
  list->alias("ls");
  list->callback([&context, globals] {
    apply_globals(*globals);
    runtime::Runtime runtime(state_directory(*globals, context));
    auto ids = runtime.list();
    if (!ids) {
      context.exit_code = fail_command(*globals, ids.error());
      return;
    }
    std::printf("%-24s %-8s %-10s %s\n", "ID", "PID", "STATUS", "BUNDLE");
    for (auto& id : *ids) {
      auto state = runtime.state(id);
      if (!state) continue;
      std::printf("%-24s %-8d %-10s %s\n", id.c_str(), state->init.pid, runtime::status_name(state->status),
                  state->bundle.c_str());
    }
  });

  auto run_flags = std::make_shared<CreateFlags>();
  auto* run = runtime_command->add_subcommand("run", "Create and start a container; wait for it unless --detach");
  add_create_flags(run, *run_flags);
  run->add_flag("-d,--detach", run_flags->detach, "Do not wait for the container");
  run->add_flag("--keep", run_flags->keep, "Keep the container's state after it exits");
  run->callback([&context, globals, run_flags] {
    apply_globals(*globals);
    if (auto checked = check_create_flags(*run_flags); !checked) {
      context.exit_code = fail_command(*globals, checked.error());
      return;
    }
    runtime::Runtime runtime(state_directory(*globals, context));
    auto options = create_options(*run_flags);
    options.return_console = !run_flags->detach && options.console_socket.empty();
    sigset_t previous = block_forwarded_signals();
    auto created = runtime.run(options);
    if (!created) {
      ::sigprocmask(SIG_SETMASK, &previous, nullptr);
      context.exit_code = fail_command(*globals, created.error(), exit_code_for_start_error(created.error()));
      return;
    }
    if (run_flags->detach) {
      ::sigprocmask(SIG_SETMASK, &previous, nullptr);
      return;
    }
    context.exit_code = supervise(created->init.pid, created->pidfd.get(), created->console_master.get());
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    if (!run_flags->keep)
      if (auto removed = runtime.remove(run_flags->id, true); !removed) (void)fail_command(*globals, removed.error());
  });

  auto exec_flags = std::make_shared<ExecFlags>();
  auto* exec = runtime_command->add_subcommand("exec", "Run a new process inside a running container");
  exec->add_option("-p,--process", exec_flags->process_file, "An OCI process.json to run");
  exec->add_flag("-t,--tty", exec_flags->tty, "Allocate a pseudo-terminal");
  exec->add_flag("-d,--detach", exec_flags->detach, "Do not wait for the process");
  exec->add_option("--cwd", exec_flags->cwd, "Working directory inside the container");
  exec->add_option("-u,--user", exec_flags->user, "UID[:GID]");
  exec->add_option("--console-socket", exec_flags->console_socket, "Receives the pty master with --tty");
  exec->add_option("--pid-file", exec_flags->pid_file, "File to write the process's pid to");
  exec->add_option("id", exec_flags->id, "Container id")->required();
  exec->add_option("command", exec_flags->command, "Command and arguments");
  // As runc (urfave/cli): everything after the id is the command, "-c" included.
  exec->positionals_at_end(true);
  exec->callback([&context, globals, exec_flags] {
    apply_globals(*globals);
    auto process_json = exec_process_json(*exec_flags);
    if (!process_json) {
      context.exit_code = fail_command(*globals, process_json.error());
      return;
    }
    runtime::Runtime runtime(state_directory(*globals, context));
    runtime::ExecOptions options;
    options.process_json = *process_json;
    options.tty = exec_flags->tty;
    options.console_socket = exec_flags->console_socket;
    sigset_t previous = block_forwarded_signals();
    auto executed = runtime.exec(exec_flags->id, options);
    if (!executed) {
      ::sigprocmask(SIG_SETMASK, &previous, nullptr);
      context.exit_code = fail_command(*globals, executed.error(), exit_code_for_start_error(executed.error()));
      return;
    }
    if (!exec_flags->pid_file.empty())
      (void)fs::write_file_atomic(exec_flags->pid_file, std::to_string(executed->process.pid), 0644);
    if (!exec_flags->detach)
      context.exit_code =
          supervise(executed->process.pid, executed->pidfd.get(), executed->console_master.get());
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  });
}

}  // namespace berth::cli
