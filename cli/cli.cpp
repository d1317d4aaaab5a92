#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/log.h"
#include "engine/container/supervisor.h"

namespace berth::cli {

int report_failure(const Error& error, int exit_code) {
  std::fprintf(stderr, "Error: %s\n", error.message().c_str());
  return exit_code;
}

namespace {

std::string program_name(const char* argv0) {
  const char* slash = std::strrchr(argv0, '/');
  return slash ? slash + 1 : argv0;
}

// `berth supervise --lib L --run R [--attached] ID`: the per-container supervisor. Parsed by hand, before CLI11 is
// touched, so that the long-lived process stays small and starts fast.
int supervise_main(int argc, char** argv) {
  container::SupervisorOptions options;
  for (int i = 2; i < argc; ++i) {
    std::string argument = argv[i];
    if (argument == "--lib" && i + 1 < argc) options.state.lib = argv[++i];
    else if (argument == "--run" && i + 1 < argc) options.state.run = argv[++i];
    else if (argument == "--attached") options.attached = true;
    else options.id = argument;
  }
  if (options.state.lib.empty() || options.state.run.empty() || options.id.empty()) {
    std::fprintf(stderr, "Error: usage: berth supervise --lib DIR --run DIR [--attached] ID\n");
    return kExitUsage;
  }
  if (const char* level = std::getenv("BERTH_LOG_LEVEL")) {
    log::Level parsed;
    if (log::parse_level(level, parsed)) log::set_level(parsed);
  }
  return container::run_supervisor(options);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "supervise") == 0) return supervise_main(argc, argv);
  // `berth-runtime ARGS` is `berth runtime ARGS`: the OCI runtime command line, for tools that drive runc.
  std::vector<std::string> arguments(argv, argv + argc);
  if (program_name(argv[0]) == "berth-runtime") arguments.insert(arguments.begin() + 1, "runtime");

  CommandContext context;
  char self[4096];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  context.self_executable = length > 0 ? std::string(self, static_cast<size_t>(length)) : std::string(argv[0]);

  CLI::App app{"berth: Compose-style multi-container orchestrator with its own container engine", "berth"};
  // "-h" is not help: `run -h` sets the hostname, as in Docker.
  app.set_help_flag("--help", "Print this help and exit");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.add_option("--root", context.options.root, "State root (default /var/lib/berth and /run/berth; env BERTH_ROOT)");
  app.add_option("--log-level", context.options.log_level, "Log level: trace, debug, info, warn, error")
      ->envname("BERTH_LOG_LEVEL");
  app.parse_complete_callback([&context] {
    log::Level level;
    if (!context.options.log_level.empty() && log::parse_level(context.options.log_level, level)) log::set_level(level);
  });

  register_system_commands(app, context);
  register_image_commands(app, context);
  register_container_commands(app, context);
  register_runtime_commands(app, context);
  register_compose_commands(app, context);

  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend() - 1);
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "Error: %s\nSee 'berth --help'.\n", e.what());
    return kExitUsage;
  }
  return context.exit_code;
}

}  // namespace berth::cli
