// `berth compose ...`: the project-level commands. The options every compose subcommand shares (-f, -p,
// --project-directory, --profile, --env-file) live on `compose` itself; each subcommand is registered by its own
// add_*_command function and loads the project with load_compose_project(). `config` is here; up, down, ps and
// logs are added beside it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>

#include "cli/command.h"
#include "compose/discovery.h"
#include "compose/loader.h"
#include "compose/render.h"
#include "core/fs.h"
#include "core/log.h"

extern char** environ;

namespace berth::cli {
namespace {

// ---- shared by every compose subcommand ----

struct ComposeOptions {
  std::vector<std::string> files;
  std::string project_name;
  std::string project_directory;
  std::vector<std::string> profiles;
  std::vector<std::string> env_files;
};

compose::ProcessContext process_context() {
  compose::ProcessContext process;
  char buffer[4096];
  if (::getcwd(buffer, sizeof buffer)) process.cwd = buffer;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    process.environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  process.read_stdin = []() -> Result<std::string> {
    std::string content((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) return Error("reading the compose file from standard input failed");
    return content;
  };
  return process;
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) log::warn("{}", warning);
}

// The loader's options for this command line; each subcommand then sets what it needs (interpolation, ...).
Result<compose::LoadOptions> compose_load_options(const ComposeOptions& options,
                                                  const std::vector<std::string>& services) {
  compose::ProjectRequest request;
  request.files = options.files;
  request.project_name = options.project_name;
  request.project_directory = options.project_directory;
  request.profiles = options.profiles;
  request.env_files = options.env_files;
  request.services = services;
  std::vector<std::string> warnings;
  auto load_options = compose::resolve_project_request(request, process_context(), compose::FileAccess::host(), &warnings);
  print_warnings(warnings);
  return load_options;
}

// ---- config ----

struct ConfigFlags {
  std::string format = "yaml";
  std::string output;
  bool quiet = false;
  bool services = false;
  bool volumes = false;
  bool networks = false;
  bool profiles = false;
  bool images = false;
  bool environment = false;
  bool no_interpolate = false;
  bool no_normalize = false;
  bool no_path_resolution = false;
  bool no_consistency = false;
  bool no_env_resolution = false;
  bool resolve_image_digests = false;
  std::vector<std::string> service_names;
};

int write_output(const ConfigFlags& flags, const std::string& content) {
  if (flags.quiet) return 0;
  if (!flags.output.empty()) {
    auto written = fs::write_file_atomic(flags.output, content, 0666);
    if (!written) return report_failure(std::move(written).error().wrap("writing " + flags.output));
    return 0;
  }
  std::fwrite(content.data(), 1, content.size(), stdout);
  return 0;
}

std::string lines(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) out += value + "\n";
  return out;
}

int run_config(const ComposeOptions& compose_options, const ConfigFlags& flags) {
  if (flags.format != "yaml" && flags.format != "json")
    return report_failure(Error("unsupported format \"" + flags.format + "\" (use yaml or json)"), kExitUsage);
  if (flags.resolve_image_digests)
    return report_failure(Error("--resolve-image-digests needs a registry client, which berth does not have yet"),
                          kExitUsage);
  auto load_options = compose_load_options(compose_options, flags.service_names);
  if (!load_options) return report_failure(load_options.error());
  load_options->interpolate = !flags.no_interpolate;
  load_options->normalize = !flags.no_normalize;
  load_options->resolve_paths = !flags.no_path_resolution;
  load_options->check_consistency = !flags.no_consistency;
  load_options->resolve_service_environment = !flags.no_env_resolution;
  load_options->discard_env_files = true;  // `config` shows env_file merged into environment
  load_options->prune_unused_resources = true;
  compose::RenderOptions render;
  render.format = flags.format == "json" ? compose::OutputFormat::json : compose::OutputFormat::yaml;

  // Without interpolation the model cannot be typed (values may be "${PORT}"): print from the merged tree.
  if (flags.no_interpolate) {
    std::vector<std::string> warnings;
    auto model = compose::load_model(*load_options, &warnings);
    print_warnings(warnings);
    if (!model) return report_failure(model.error());
    auto section_keys = [&](const char* section) {
      std::vector<std::string> names;
      if (const compose::Node* node = model->find(section))
        for (const compose::MapEntry& entry : node->entries) names.push_back(entry.key);
      return names;
    };
    if (flags.services) return write_output(flags, lines(section_keys("services")));
    if (flags.volumes) return write_output(flags, lines(section_keys("volumes")));
    if (flags.networks) return write_output(flags, lines(section_keys("networks")));
    if (flags.profiles || flags.images || flags.environment)
      return report_failure(Error("--profiles, --images and --environment need interpolation"), kExitUsage);
    render.escape_dollars = false;
    return write_output(flags, compose::render_model(*model, render));
  }

  auto loaded = compose::load_project(*load_options);
  if (!loaded) return report_failure(loaded.error());
  print_warnings(loaded->warnings);
  const compose::Project& project = loaded->project;
  if (flags.quiet) return 0;  // valid: nothing to print

  if (flags.services) return write_output(flags, lines(project.services_in_dependency_order()));
  auto keys = [](const auto& map) {
    std::vector<std::string> names;
    for (const auto& [name, value] : map) names.push_back(name);
    return names;
  };
  if (flags.volumes) return write_output(flags, lines(keys(project.volumes)));
  if (flags.networks) return write_output(flags, lines(keys(project.networks)));
  if (flags.profiles) {
    std::set<std::string> profiles;
    for (const auto* services : {&project.services, &project.disabled_services})
      for (const auto& [name, service] : *services) profiles.insert(service.profiles.begin(), service.profiles.end());
    return write_output(flags, lines({profiles.begin(), profiles.end()}));
  }
  if (flags.images) {
    std::vector<std::string> images;
    // A service without an image runs the one its build produces: "<project>-<service>".
    for (const auto& [name, service] : project.services)
      images.push_back(service.image.empty() ? project.name + "-" + name : service.image);
    return write_output(flags, lines(images));
  }
  if (flags.environment) {
    std::vector<std::string> variables;
    for (const auto& [key, value] : project.environment) variables.push_back(key + "=" + value);
    return write_output(flags, lines(variables));
  }
  return write_output(flags, compose::render_project(project, render));
}

void add_config_command(CLI::App* compose_app, const std::shared_ptr<ComposeOptions>& options,
                        CommandContext& context) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* command = compose_app->add_subcommand("config", "Parse, resolve and render the compose file in canonical format");
  command->alias("convert");
  command->add_option("--format", flags->format, "Format the output: yaml or json")->capture_default_str();
  command->add_option("-o,--output", flags->output, "Save to file (default to stdout)");
  command->add_flag("-q,--quiet", flags->quiet, "Only validate the configuration, don't print anything");
  command->add_flag("--services", flags->services, "Print the service names, one per line");
  command->add_flag("--volumes", flags->volumes, "Print the volume names, one per line");
  command->add_flag("--networks", flags->networks, "Print the network names, one per line");
  command->add_flag("--profiles", flags->profiles, "Print the profile names, one per line");
  command->add_flag("--images", flags->images, "Print the image names, one per line");
  command->add_flag("--environment", flags->environment, "Print the environment used for interpolation");
  command->add_flag("--no-interpolate", flags->no_interpolate, "Don't interpolate environment variables");
  command->add_flag("--no-normalize", flags->no_normalize, "Don't normalize the compose model");
  command->add_flag("--no-path-resolution", flags->no_path_resolution, "Don't resolve file paths");
  command->add_flag("--no-consistency", flags->no_consistency,
                    "Don't check model consistency (may produce an invalid Compose output)");
  command->add_flag("--no-env-resolution", flags->no_env_resolution, "Don't resolve service env files");
  command->add_flag("--resolve-image-digests", flags->resolve_image_digests, "Pin image tags to digests (not yet)");
  command->add_option("services", flags->service_names, "SERVICE...");
  command->callback([&context, options, flags] { context.exit_code = run_config(*options, *flags); });
}

}  // namespace

void register_compose_commands(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ComposeOptions>();
  auto* compose_app = app.add_subcommand("compose", "Define and run multi-container applications");
  compose_app->require_subcommand(1);
  compose_app->fallthrough();  // -f, -p, ... also after the subcommand, as docker compose's persistent flags
  compose_app->add_option("-f,--file", options->files, "Compose configuration files")->allow_extra_args(false);
  compose_app->add_option("-p,--project-name", options->project_name, "Project name");
  compose_app->add_option("--project-directory", options->project_directory,
                          "Alternate working directory (default: the directory of the first compose file)");
  compose_app->add_option("--profile", options->profiles, "Specify a profile to enable")->allow_extra_args(false);
  compose_app->add_option("--env-file", options->env_files, "Specify an alternate environment file")
      ->allow_extra_args(false);
  add_config_command(compose_app, options, context);
}

}  // namespace berth::cli
