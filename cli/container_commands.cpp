// run, create, start, stop, kill, restart, rm, ps, logs, exec, inspect, wait: Docker's flags and output.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/core.h>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/format.h"
#include "core/fs.h"
#include "core/process.h"
#include "core/text.h"
#include "engine/container/engine.h"
#include "engine/container/logs.h"
#include "engine/image/image_store.h"
#include "engine/spec/spec.h"

namespace berth::cli {
namespace {

using container::ContainerEngine;
using container::ContainerRecord;
using container::Settings;
using container::Status;

void print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// The flags of `run` and `create`.
struct CreateFlags {
  bool detach = false, remove = false, interactive = false, tty = false, read_only = false, privileged = false;
  bool init = false, sig_proxy = true;
  std::string name, workdir, user, hostname, domainname, memory, memory_swap, cpus, network = "none", shm_size;
  std::string stop_signal, runtime;
  std::optional<std::string> entrypoint;
  std::optional<int64_t> pids_limit, cpu_shares;
  std::optional<int> stop_timeout;
  std::vector<std::string> env, env_files, cap_add, cap_drop, security_opts, ulimits, labels, sysctls, log_opts;
  std::vector<std::string> arguments;  // image, then the command
};

void add_create_flags(CLI::App* command, CreateFlags& f, bool is_run) {
  if (is_run) {
    command->add_flag("-d,--detach", f.detach, "Run the container in the background and print its ID");
    command->add_option("--sig-proxy", f.sig_proxy, "Proxy received signals to the process (default true)");
  }
  command->add_flag("--rm", f.remove, "Automatically remove the container when it exits");
  command->add_option("--name", f.name, "Assign a name to the container");
  command->add_option("-e,--env", f.env, "Set environment variables")->take_all()->allow_extra_args(false);
  command->add_option("--env-file", f.env_files, "Read in a file of environment variables")->allow_extra_args(false);
  command->add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  command->add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  command->add_option("-h,--hostname", f.hostname, "Container host name");
  command->add_option("--domainname", f.domainname, "Container NIS domain name");
  command->add_option("--entrypoint", f.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  command->add_flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
  command->add_flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
  command->add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
  command->add_option("-m,--memory", f.memory, "Memory limit");
  command->add_option("--memory-swap", f.memory_swap, "Swap limit equal to memory plus swap: '-1' for unlimited");
  command->add_option("--cpus", f.cpus, "Number of CPUs");
  command->add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  command->add_option("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
  command->add_option("--network,--net", f.network, "Connect a container to a network: none or host");
  command->add_option("--cap-add", f.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  command->add_option("--cap-drop", f.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  command->add_flag("--privileged", f.privileged, "Give extended privileges to this container");
  command->add_option("--security-opt", f.security_opts, "Security options: seccomp=unconfined|FILE, no-new-privileges")
      ->allow_extra_args(false);
  command->add_option("--ulimit", f.ulimits, "Ulimit options, e.g. nofile=1024:2048")->allow_extra_args(false);
  command->add_flag("--init", f.init, "Run an init inside the container that forwards signals and reaps processes");
  command->add_option("-l,--label", f.labels, "Set meta data on a container")->allow_extra_args(false);
  command->add_option("--sysctl", f.sysctls, "Sysctl options")->allow_extra_args(false);
  command->add_option("--shm-size", f.shm_size, "Size of /dev/shm");
  command->add_option("--stop-signal", f.stop_signal, "Signal to stop the container");
  command->add_option("--stop-timeout", f.stop_timeout, "Timeout (in seconds) to stop a container");
  command->add_option("--runtime", f.runtime, "Path of an OCI runtime to use instead of the embedded one");
  command->add_option("--log-opt", f.log_opts, "Log driver options: max-size, max-file")->allow_extra_args(false);
  // IMAGE [COMMAND] [ARG...]: everything from the image on belongs to the container's command, flags included
  // (`run busybox ls -l`), so it is not declared as a positional but collected as "remaining" arguments.
  command->prefix_command();
  command->footer(fmt::format("Usage: berth {} [OPTIONS] IMAGE [COMMAND] [ARG...]", is_run ? "run" : "create"));
}

Result<std::optional<int64_t>> parse_size_flag(const std::string& text, const char* flag) {
  if (text.empty()) return std::optional<int64_t>();
  if (text == "-1") return std::optional<int64_t>(-1);
  auto bytes = text::parse_byte_size(text);
  if (!bytes) return unexpected(Error(fmt::format("invalid argument \"{}\" for \"{}\" flag: invalid size", text, flag), EINVAL));
  return std::optional<int64_t>(*bytes);
}

Result<container::CreateRequest> make_create_request(const CreateFlags& f) {
  container::CreateRequest request;
  if (f.arguments.empty()) return unexpected(Error("\"run\" requires at least 1 argument: IMAGE [COMMAND] [ARG...]", EINVAL));
  request.image = f.arguments.front();
  request.name = f.name;
  Settings& s = request.settings;
  for (const auto& file : f.env_files) {
    auto content = BERTH_TRY(fs::read_file(file).context("reading --env-file"));
    auto entries = BERTH_TRY(spec::parse_env_file(content, [](const std::string& key) -> std::optional<std::string> {
      if (const char* value = std::getenv(key.c_str())) return std::string(value);
      return std::nullopt;
    }).context(fmt::format("--env-file {}", file)));
    s.env.insert(s.env.end(), entries.begin(), entries.end());
  }
  for (const auto& entry : f.env) {
    if (entry.find('=') != std::string::npos) {
      s.env.push_back(entry);
    } else if (const char* value = std::getenv(entry.c_str())) {
      s.env.push_back(entry + "=" + value);  // `-e NAME` passes the variable through, as Docker
    }
  }
  if (f.entrypoint) s.entrypoint = f.entrypoint->empty() ? std::vector<std::string>{""} : std::vector<std::string>{*f.entrypoint};
  s.command.assign(f.arguments.begin() + 1, f.arguments.end());
  s.working_dir = f.workdir;
  if (!s.working_dir.empty() && s.working_dir[0] != '/')
    return unexpected(Error(fmt::format("the working directory '{}' is invalid, it needs to be an absolute path", s.working_dir), EINVAL));
  s.user = f.user;
  s.hostname = f.hostname;
  s.domainname = f.domainname;
  s.tty = f.tty;
  s.open_stdin = f.interactive;
  s.read_only = f.read_only;
  s.privileged = f.privileged;
  s.init = f.init;
  s.auto_remove = f.remove;
  s.memory_bytes = BERTH_TRY(parse_size_flag(f.memory, "--memory"));
  if (s.memory_bytes && *s.memory_bytes >= 0 && *s.memory_bytes < 6 * 1024 * 1024)
    return unexpected(Error("Minimum memory limit allowed is 6MB", EINVAL));
  s.memory_swap_bytes = BERTH_TRY(parse_size_flag(f.memory_swap, "--memory-swap"));
  s.shm_size_bytes = BERTH_TRY(parse_size_flag(f.shm_size, "--shm-size"));
  if (!f.cpus.empty()) {
    auto nano = text::parse_nano_cpus(f.cpus);
    if (!nano) return unexpected(Error(fmt::format("invalid argument \"{}\" for \"--cpus\" flag", f.cpus), EINVAL));
    long available = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (*nano > available * 1000000000LL)
      return unexpected(Error(fmt::format("range of CPUs is from 0.01 to {}.00, as there are only {} CPUs available",
                                          available, available), EINVAL));
    s.nano_cpus = *nano;
  }
  s.pids_limit = f.pids_limit;
  s.cpu_shares = f.cpu_shares;
  if (f.network != "none" && f.network != "host")
    return unexpected(Error(fmt::format("network {} not found", f.network), ENOENT));
  s.network_mode = f.network;
  s.cap_add = f.cap_add;
  s.cap_drop = f.cap_drop;
  BERTH_TRY(spec::effective_capabilities(s.cap_add, s.cap_drop, s.privileged));
  for (const auto& option : f.security_opts) {
    std::string key = option, value;
    if (auto eq = option.find_first_of("=:"); eq != std::string::npos) {
      key = option.substr(0, eq);
      value = option.substr(eq + 1);
    }
    if (key == "seccomp") {
      if (value == "unconfined") s.seccomp_profile = "unconfined";
      else s.seccomp_profile = BERTH_TRY(fs::read_file(value).context("opening seccomp profile"));
    } else if (key == "no-new-privileges") {
      if (value.empty() || value == "true") s.no_new_privileges = true;
      else if (value == "false") s.no_new_privileges = false;
      else return unexpected(Error(fmt::format("invalid --security-opt 2: \"{}\"", option), EINVAL));
    } else {
      return unexpected(Error(fmt::format("invalid --security-opt: \"{}\"", option), EINVAL));
    }
    s.security_opt.push_back(option);
  }
  for (const auto& ulimit : f.ulimits) BERTH_TRY(spec::parse_ulimit(ulimit));
  s.ulimits = f.ulimits;
  for (const auto& label : f.labels) {
    auto eq = label.find('=');
    s.labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
  }
  s.sysctls = f.sysctls;
  s.stop_signal = f.stop_signal;
  s.stop_timeout = f.stop_timeout;
  s.runtime = f.runtime;
  for (const auto& option : f.log_opts) {
    auto eq = option.find('=');
    if (eq == std::string::npos) return unexpected(Error(fmt::format("invalid log opt: {}", option), EINVAL));
    s.log_options[option.substr(0, eq)] = option.substr(eq + 1);
  }
  std::vector<std::pair<std::string, std::string>> log_options(s.log_options.begin(), s.log_options.end());
  BERTH_TRY(container::parse_log_options(log_options));
  return request;
}

int exit_code_for_start_failure(const Error& error) {
  if (error.errno_value() == ENOENT && error.message().find("executable file not found") != std::string::npos) return kExitNotFound;
  if (error.errno_value() == ENOENT && error.message().find("no such file") != std::string::npos) return kExitNotFound;
  if (error.errno_value() == EACCES) return kExitCannotInvoke;
  return kExitUsage;
}

int run_or_create(CommandContext& context, const CreateFlags& flags, bool is_run) {
  auto request = make_create_request(flags);
  if (!request) return report_failure(request.error(), kExitUsage);
  ContainerEngine engine(context.state(), context.self_executable);
  auto created = engine.create(*request);
  if (!created) return report_failure(created.error(), kExitUsage);
  if (!is_run) {
    print(created->id + "\n");
    return 0;
  }
  container::AttachOptions attach;
  attach.attach = !flags.detach;
  attach.proxy_signals = flags.sig_proxy;
  if (!flags.detach) std::fflush(stdout);
  auto started = engine.start(created->id, attach);
  if (!started) return report_failure(started.error(), exit_code_for_start_failure(started.error()));
  if (flags.detach) {
    print(created->id + "\n");
    return 0;
  }
  return started->exit_code.value_or(0);
}


// `ps` row data as Docker's `ps --format json` keys.
nlohmann::json ps_object(const ContainerRecord& record, const std::string& now) {
  std::string command;
  for (const auto& arg : record.resolved_args) command += (command.empty() ? "" : " ") + arg;
  std::string labels;
  for (const auto& [key, value] : record.settings.labels) labels += (labels.empty() ? "" : ",") + key + "=" + value;
  std::string created = record.created.substr(0, 19);
  std::replace(created.begin(), created.end(), 'T', ' ');
  return {{"Command", "\"" + command + "\""},
          {"CreatedAt", created + " +0000 UTC"},
          {"ID", text::short_id(record.id)},
          {"Image", record.image_name},
          {"Labels", labels},
          {"LocalVolumes", "0"},
          {"Mounts", ""},
          {"Names", record.name},
          {"Networks", record.settings.network_mode},
          {"Ports", ""},
          {"RunningFor", text::human_duration(container::seconds_between(record.created, now)) + " ago"},
          {"Size", "0B"},
          {"State", container::status_name(record.state.status)},
          {"Status", container::describe_status(record, now)}};
}

// Docker's `ps --filter`: the same key ORs, different keys AND.
Result<bool> matches_filters(const ContainerRecord& record, const std::vector<std::string>& filters) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& filter : filters) {
    auto eq = filter.find('=');
    if (eq == std::string::npos) return unexpected(Error(fmt::format("bad format of filter (expected name=value): {}", filter), EINVAL));
    by_key[filter.substr(0, eq)].push_back(filter.substr(eq + 1));
  }
  for (const auto& [key, values] : by_key) {
    bool any = false;
    for (const auto& value : values) {
      if (key == "id") any |= text::starts_with(record.id, value);
      else if (key == "name") any |= record.name.find(value) != std::string::npos;
      else if (key == "status") any |= value == container::status_name(record.state.status);
      else if (key == "exited") any |= record.state.status == Status::exited && std::to_string(record.state.exit_code) == value;
      else if (key == "ancestor") any |= record.image_name == value || text::starts_with(record.image_id, value) || text::starts_with(record.image_id, "sha256:" + value);
      else if (key == "label") {
        auto eq = value.find('=');
        auto it = record.settings.labels.find(value.substr(0, eq));
        any |= it != record.settings.labels.end() && (eq == std::string::npos || it->second == value.substr(eq + 1));
      } else {
        return unexpected(Error(fmt::format("invalid filter '{}'", key), EINVAL));
      }
    }
    if (!any) return false;
  }
  return true;
}

std::string truncate_command(const std::string& command) {
  // Docker shows the quoted command cut to 20 characters with an ellipsis.
  std::string inner = command.substr(1, command.size() - 2);
  if (inner.size() > 20) inner = inner.substr(0, 19) + "…";
  return "\"" + inner + "\"";
}

// The `add_*` functions register each command on `parent`, so that `berth X` and `berth container X` both work.
void add_run(CLI::App* parent, CommandContext& context, const std::string& name, bool is_run) {
  auto flags = std::make_shared<CreateFlags>();
  auto* command = parent->add_subcommand(name, is_run ? "Create and run a new container from an image"
                                                      : "Create a new container");
  add_create_flags(command, *flags, is_run);
  command->callback([&context, flags, command, is_run] {
    // With prefix_command the image and its arguments arrive as "remaining".
    for (auto& extra : command->remaining()) flags->arguments.push_back(extra);
    context.exit_code = run_or_create(context, *flags, is_run);
  });
}

void add_start(CLI::App* parent, CommandContext& context) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto attach = std::make_shared<bool>(false);
  auto* command = parent->add_subcommand("start", "Start one or more stopped containers");
  command->add_flag("-a,--attach", *attach, "Attach STDOUT/STDERR and forward signals");
  command->add_option("containers", *names, "CONTAINER...")->required();
  command->callback([&context, names, attach] {
    ContainerEngine engine(context.state(), context.self_executable);
    int code = 0;
    for (const auto& name : *names) {
      container::AttachOptions options;
      options.attach = *attach && names->size() == 1;
      auto started = engine.start(name, options);
      if (!started) {
        code = report_failure(started.error(), kExitFailure);
        continue;
      }
      if (options.attach) code = started->exit_code.value_or(0);
      else print(name + "\n");
    }
    context.exit_code = code;
  });
}

void add_stop_like(CLI::App* parent, CommandContext& context, const std::string& name) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<std::optional<int>>();
  auto* command = parent->add_subcommand(name, name == "stop" ? "Stop one or more running containers"
                                                              : "Restart one or more containers");
  command->add_option("-t,--time", *timeout, "Seconds to wait before killing the container");
  command->add_option("containers", *names, "CONTAINER...")->required();
  command->callback([&context, names, timeout, name] {
    ContainerEngine engine(context.state(), context.self_executable);
    int code = 0;
    for (const auto& target : *names) {
      auto stopped = engine.stop(target, *timeout);
      if (stopped && name == "restart") {
        auto started = engine.start(target, {});
        if (!started) {
          code = report_failure(started.error());
          continue;
        }
      }
      if (!stopped) code = report_failure(stopped.error());
      else print(target + "\n");
    }
    context.exit_code = code;
  });
}

void add_kill(CLI::App* parent, CommandContext& context) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto signal_name = std::make_shared<std::string>("KILL");
  auto* command = parent->add_subcommand("kill", "Kill one or more running containers");
  command->add_option("-s,--signal", *signal_name, "Signal to send to the container");
  command->add_option("containers", *names, "CONTAINER...")->required();
  command->callback([&context, names, signal_name] {
    int signal = parse_signal(*signal_name);
    if (signal < 0) {
      context.exit_code = report_failure(Error(fmt::format("invalid signal: {}", *signal_name)), kExitUsage);
      return;
    }
    ContainerEngine engine(context.state(), context.self_executable);
    int code = 0;
    for (const auto& target : *names) {
      auto killed = engine.kill(target, signal);
      if (!killed) code = report_failure(killed.error());
      else print(target + "\n");
    }
    context.exit_code = code;
  });
}

void add_rm(CLI::App* parent, CommandContext& context, const std::string& name) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto volumes = std::make_shared<bool>(false);
  auto* command = parent->add_subcommand(name, "Remove one or more containers");
  command->add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
  command->add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
  command->add_option("containers", *names, "CONTAINER...")->required();
  command->callback([&context, names, force] {
    ContainerEngine engine(context.state(), context.self_executable);
    int code = 0;
    for (const auto& target : *names) {
      auto removed = engine.remove(target, *force);
      if (!removed) code = report_failure(removed.error());
      else print(target + "\n");
    }
    context.exit_code = code;
  });
}

void add_ps(CLI::App* parent, CommandContext& context, const std::string& name) {
  struct Flags {
    bool all = false, quiet = false, no_trunc = false, latest = false;
    std::vector<std::string> filters;
    std::string format;
    std::optional<int> last;
  };
  auto flags = std::make_shared<Flags>();
  auto* command = parent->add_subcommand(name, "List containers");
  command->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
  command->add_flag("-q,--quiet", flags->quiet, "Only display container IDs");
  command->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  command->add_flag("-l,--latest", flags->latest, "Show the latest created container");
  command->add_option("-n,--last", flags->last, "Show n last created containers");
  command->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")->allow_extra_args(false);
  command->add_option("--format", flags->format, "table, json, or a Go template");
  command->callback([&context, flags] {
    ContainerEngine engine(context.state(), context.self_executable);
    auto records = engine.list();
    if (!records) {
      context.exit_code = report_failure(records.error());
      return;
    }
    std::string now = text::now_rfc3339_nano();
    std::vector<ContainerRecord> shown;
    bool all = flags->all || flags->latest || flags->last;
    for (auto& record : *records) {
      if (!all && record.state.status != Status::running) continue;
      auto matched = matches_filters(record, flags->filters);
      if (!matched) {
        context.exit_code = report_failure(matched.error(), kExitUsage);
        return;
      }
      if (*matched) shown.push_back(std::move(record));
    }
    size_t limit = flags->latest ? 1 : flags->last ? static_cast<size_t>(std::max(0, *flags->last)) : shown.size();
    if (shown.size() > limit) shown.resize(limit);
    std::string out;
    auto kind = classify_format(flags->format);
    if (flags->quiet) {
      for (const auto& record : shown) out += (flags->no_trunc ? record.id : text::short_id(record.id)) + "\n";
    } else if (kind == FormatKind::json) {
      for (const auto& record : shown) out += ps_object(record, now).dump() + "\n";
    } else if (kind == FormatKind::go_template) {
      if (text::starts_with(flags->format, "table ")) out += template_header(flags->format) + "\n";
      for (const auto& record : shown) {
        auto line = render_template(flags->format, ps_object(record, now).dump());
        if (!line) {
          context.exit_code = report_failure(line.error(), kExitUsage);
          return;
        }
        out += *line + "\n";
      }
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& record : shown) {
        auto object = ps_object(record, now);
        rows.push_back({flags->no_trunc ? record.id : text::short_id(record.id), record.image_name,
                        flags->no_trunc ? object["Command"].get<std::string>()
                                        : truncate_command(object["Command"].get<std::string>()),
                        object["RunningFor"].get<std::string>(), object["Status"].get<std::string>(), "", record.name});
      }
      out = render_table({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}, rows);
    }
    print(out);
  });
}

void add_logs(CLI::App* parent, CommandContext& context) {
  struct Flags {
    bool follow = false, timestamps = false;
    std::string tail = "all", since, until, name;
  };
  auto flags = std::make_shared<Flags>();
  auto* command = parent->add_subcommand("logs", "Fetch the logs of a container");
  command->add_flag("-f,--follow", flags->follow, "Follow log output");
  command->add_flag("-t,--timestamps", flags->timestamps, "Show timestamps");
  command->add_option("-n,--tail", flags->tail, "Number of lines to show from the end of the logs (default all)");
  command->add_option("--since", flags->since, "Show logs since timestamp (RFC 3339)");
  command->add_option("--until", flags->until, "Show logs before a timestamp (RFC 3339)");
  command->add_option("container", flags->name, "CONTAINER")->required();
  command->callback([&context, flags] {
    ContainerEngine engine(context.state(), context.self_executable);
    auto record = engine.inspect(flags->name);
    if (!record) {
      context.exit_code = report_failure(record.error());
      return;
    }
    container::LogReadOptions options;
    options.timestamps = flags->timestamps;
    options.since = flags->since;
    options.until = flags->until;
    if (flags->tail != "all") {
      try {
        options.tail = static_cast<size_t>(std::stoul(flags->tail));
      } catch (...) {
        context.exit_code = report_failure(Error(fmt::format("invalid value for --tail: {}", flags->tail)), kExitUsage);
        return;
      }
    }
    std::fflush(stdout);
    std::string id = record->id;
    auto still_running = [&engine, id] {
      auto current = engine.inspect(id);
      return current && current->state.status == Status::running;
    };
    auto printed = container::print_log(engine.store().log_path(id), options, flags->follow, still_running, 1, 2);
    if (!printed) context.exit_code = report_failure(printed.error());
  });
}

void add_exec(CLI::App* parent, CommandContext& context) {
  struct Flags {
    bool interactive = false, tty = false, detach = false, privileged = false;
    std::vector<std::string> env, env_files, arguments;
    std::string user, workdir;
  };
  auto flags = std::make_shared<Flags>();
  auto* command = parent->add_subcommand("exec", "Execute a command in a running container");
  command->add_flag("-i,--interactive", flags->interactive, "Keep STDIN open even if not attached");
  command->add_flag("-t,--tty", flags->tty, "Allocate a pseudo-TTY");
  command->add_flag("-d,--detach", flags->detach, "Detached mode: run command in the background");
  command->add_flag("--privileged", flags->privileged, "Give extended privileges to the command");
  command->add_option("-e,--env", flags->env, "Set environment variables")->allow_extra_args(false);
  command->add_option("--env-file", flags->env_files, "Read in a file of environment variables")->allow_extra_args(false);
  command->add_option("-u,--user", flags->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  command->add_option("-w,--workdir", flags->workdir, "Working directory inside the container");
  // CONTAINER COMMAND [ARG...] arrive as "remaining" arguments (see add_create_flags).
  command->prefix_command();
  command->footer("Usage: berth exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  command->callback([&context, flags, command] {
    for (auto& extra : command->remaining()) flags->arguments.push_back(extra);
    if (flags->arguments.size() < 2) {
      context.exit_code = report_failure(Error("\"exec\" requires at least 2 arguments: CONTAINER COMMAND [ARG...]"), kExitUsage);
      return;
    }
    container::ExecOptions options;
    options.command.assign(flags->arguments.begin() + 1, flags->arguments.end());
    for (const auto& file : flags->env_files) {
      auto content = fs::read_file(file);
      if (!content) {
        context.exit_code = report_failure(content.error(), kExitUsage);
        return;
      }
      auto entries = spec::parse_env_file(*content, [](const std::string& key) -> std::optional<std::string> {
        if (const char* value = std::getenv(key.c_str())) return std::string(value);
        return std::nullopt;
      });
      if (!entries) {
        context.exit_code = report_failure(entries.error(), kExitUsage);
        return;
      }
      options.env.insert(options.env.end(), entries->begin(), entries->end());
    }
    for (const auto& entry : flags->env) {
      if (entry.find('=') != std::string::npos) options.env.push_back(entry);
      else if (const char* value = std::getenv(entry.c_str())) options.env.push_back(entry + "=" + value);
    }
    options.user = flags->user;
    options.working_dir = flags->workdir;
    options.interactive = flags->interactive;
    options.tty = flags->tty;
    options.detach = flags->detach;
    options.privileged = flags->privileged;
    std::fflush(stdout);
    ContainerEngine engine(context.state(), context.self_executable);
    auto code = engine.exec(flags->arguments.front(), options);
    if (!code) {
      context.exit_code = report_failure(code.error(), exit_code_for_start_failure(code.error()));
      return;
    }
    context.exit_code = *code;
  });
}

void add_inspect(CLI::App* parent, CommandContext& context, bool containers_only) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto* command = parent->add_subcommand("inspect", "Return low-level information on containers");
  command->add_option("-f,--format", *format, "Format output using a Go template");
  command->add_option("names", *names, "NAME|ID...")->required();
  command->callback([&context, names, format, containers_only] {
    ContainerEngine engine(context.state(), context.self_executable);
    std::vector<std::string> objects;
    int code = 0;
    for (const auto& name : *names) {
      auto record = engine.inspect(name);
      if (record) {
        objects.push_back(container::inspect_json(*record, engine.store()));
        continue;
      }
      if (!containers_only) {
        // `docker inspect` falls back to images.
        if (auto images = image::ImageStore::open(context.state()); images) {
          if (auto image = images->inspect_json(name); image) {
            objects.push_back(*image);
            continue;
          }
        }
      }
      code = report_failure(Error(fmt::format("No such object: {}", name), ENOENT));
    }
    if (format->empty()) {
      std::string out = "[";
      for (size_t i = 0; i < objects.size(); ++i) out += (i ? ",\n" : "\n") + objects[i];
      out += objects.empty() ? "]\n" : "\n]\n";
      print(out);
    } else {
      for (const auto& object : objects) {
        auto line = render_template(*format, object);
        if (!line) {
          context.exit_code = report_failure(line.error(), kExitUsage);
          return;
        }
        print(*line + "\n");
      }
    }
    context.exit_code = code;
  });
}

void add_wait(CLI::App* parent, CommandContext& context) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* command = parent->add_subcommand("wait", "Block until one or more containers stop, then print their exit codes");
  command->add_option("containers", *names, "CONTAINER...")->required();
  command->callback([&context, names] {
    ContainerEngine engine(context.state(), context.self_executable);
    int code = 0;
    for (const auto& name : *names) {
      auto exit_code = engine.wait(name);
      if (!exit_code) code = report_failure(exit_code.error());
      else print(std::to_string(*exit_code) + "\n");
    }
    context.exit_code = code;
  });
}

void add_all(CLI::App* parent, CommandContext& context, bool under_container_group) {
  add_run(parent, context, "run", true);
  add_run(parent, context, "create", false);
  add_start(parent, context);
  add_stop_like(parent, context, "stop");
  add_stop_like(parent, context, "restart");
  add_kill(parent, context);
  add_rm(parent, context, "rm");
  add_ps(parent, context, "ps");
  add_logs(parent, context);
  add_exec(parent, context);
  add_inspect(parent, context, under_container_group);
  add_wait(parent, context);
  if (under_container_group) add_ps(parent, context, "ls");
}

}  // namespace

void register_container_commands(CLI::App& app, CommandContext& context) {
  add_all(&app, context, false);
  auto* group = app.add_subcommand("container", "Manage containers");
  group->require_subcommand(1);
  add_all(group, context, true);
}

}  // namespace berth::cli
