// What every command file shares. Each cli/*_commands.cpp registers its subcommands on the CLI11 app; CLI11 itself
// is included only in those .cpp files (it costs seconds per translation unit).
#pragma once

#include <string>

#include "core/paths.h"
#include "core/result.h"

namespace CLI {
class App;
}

namespace berth::cli {

// Exit codes shared with the docker CLI: 125 when berth itself fails or the command line is wrong, 126 when the
// container's command cannot be invoked, 127 when it is not found; otherwise the container's own exit code.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 125;
inline constexpr int kExitCannotInvoke = 126;
inline constexpr int kExitNotFound = 127;

struct GlobalOptions {
  std::string root;       // --root / BERTH_ROOT
  std::string log_level;  // --log-level
};

struct CommandContext {
  GlobalOptions options;
  int exit_code = 0;  // set by the command that ran
  StateRoot state() const { return StateRoot::resolve(options.root); }
  std::string self_executable;  // /proc/self/exe, resolved at start, for re-executing ourselves
};

// Prints "Error: <message>" on stderr (one line) and returns `exit_code`, for commands to `return fail(...)`.
int report_failure(const Error& error, int exit_code = kExitFailure);

// Registration functions, one per command file.
void register_image_commands(CLI::App& app, CommandContext& context);      // images, image ls/inspect/rm, rmi, import
void register_container_commands(CLI::App& app, CommandContext& context);  // run, create, start, stop, ps, logs, ...
void register_runtime_commands(CLI::App& app, CommandContext& context);    // runtime create|start|state|kill|delete
void register_compose_commands(CLI::App& app, CommandContext& context);    // compose ..., up, down
void register_system_commands(CLI::App& app, CommandContext& context);     // version, info

}  // namespace berth::cli
