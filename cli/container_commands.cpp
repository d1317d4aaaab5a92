#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace berth::cli {

void register_container_commands(CLI::App& app, CommandContext& context) {
  (void)app;
  (void)context;
}

}  // namespace berth::cli
