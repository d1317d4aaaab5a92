// version, info: what berth is and what it sees of the host.
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/format.h"
#include "core/fs.h"
#include "engine/cgroup/cgroup.h"
#include "engine/container/engine.h"
#include "engine/image/image_store.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.1.0"
#endif
#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT "unknown"
#endif

namespace berth::cli {
namespace {

nlohmann::json version_object() {
  utsname host{};
  ::uname(&host);
  return {{"Version", BERTH_VERSION},
          {"GitCommit", BERTH_GIT_COMMIT},
          {"OciRuntimeSpec", "1.1.0"},
          {"Os", "linux"},
          {"Arch", host.machine},
          {"KernelVersion", host.release}};
}

std::string os_name() {
  auto release = fs::read_file("/etc/os-release").value_or("");
  auto at = release.find("PRETTY_NAME=\"");
  if (at == std::string::npos) return "Linux";
  auto end = release.find('"', at + 13);
  return release.substr(at + 13, end - at - 13);
}

nlohmann::json info_object(CommandContext& context) {
  utsname host{};
  ::uname(&host);
  StateRoot state = context.state();
  nlohmann::json info;
  info["ServerVersion"] = BERTH_VERSION;
  info["KernelVersion"] = host.release;
  info["OperatingSystem"] = os_name();
  info["OSType"] = "linux";
  info["Architecture"] = host.machine;
  info["NCPU"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  struct sysinfo memory {};
  ::sysinfo(&memory);
  info["MemTotal"] = static_cast<uint64_t>(memory.totalram) * memory.mem_unit;
  info["Driver"] = "overlay";
  info["LoggingDriver"] = "json-file";
  info["CgroupDriver"] = "cgroupfs";
  if (auto layout = cgroup::detect(); layout) {
    info["CgroupVersion"] = layout->mode == cgroup::Mode::v2 ? "2" : "1";
    info["CgroupMode"] = cgroup::mode_name(layout->mode);
    info["CgroupControllers"] = layout->controllers;
  } else {
    info["CgroupVersion"] = "unknown";
    info["CgroupError"] = layout.error().message();
  }
  info["DefaultRuntime"] = "berth (embedded)";
  info["Runtimes"] = {"berth"};
  info["StorageRoot"] = state.lib;
  info["RunRoot"] = state.run;
  int running = 0, stopped = 0, created = 0, total = 0;
  container::ContainerEngine engine(state, context.self_executable);
  if (auto records = engine.list(); records) {
    for (const auto& record : *records) {
      ++total;
      if (record.state.status == container::Status::running) ++running;
      else if (record.state.status == container::Status::created) ++created;
      else ++stopped;
    }
  }
  info["Containers"] = total;
  info["ContainersRunning"] = running;
  info["ContainersStopped"] = stopped;
  info["ContainersCreated"] = created;
  size_t images = 0;
  if (auto store = image::ImageStore::open(state); store)
    if (auto list = store->list(); list) images = list->size();
  info["Images"] = images;
  return info;
}

}  // namespace

void register_system_commands(CLI::App& app, CommandContext& context) {
  auto version_format = std::make_shared<std::string>();
  auto* version = app.add_subcommand("version", "Show the berth version information");
  version->add_option("-f,--format", *version_format, "json or a Go template");
  version->callback([&context, version_format] {
    auto object = version_object();
    if (*version_format == "json") {
      std::puts(object.dump().c_str());
    } else if (!version_format->empty()) {
      auto line = render_template(*version_format, object.dump());
      if (!line) context.exit_code = report_failure(line.error(), kExitUsage);
      else std::puts(line->c_str());
    } else {
      std::printf("berth version %s\n Git commit:      %s\n OCI runtime spec: %s\n OS/Arch:         linux/%s\n Kernel:          %s\n",
                  BERTH_VERSION, BERTH_GIT_COMMIT, "1.1.0", object["Arch"].get<std::string>().c_str(),
                  object["KernelVersion"].get<std::string>().c_str());
    }
  });
  auto info_format = std::make_shared<std::string>();
  auto* info = app.add_subcommand("info", "Display system-wide information");
  info->add_option("-f,--format", *info_format, "json or a Go template");
  info->callback([&context, info_format] {
    auto object = info_object(context);
    if (*info_format == "json") {
      std::puts(object.dump().c_str());
      return;
    }
    if (!info_format->empty()) {
      auto line = render_template(*info_format, object.dump());
      if (!line) context.exit_code = report_failure(line.error(), kExitUsage);
      else std::puts(line->c_str());
      return;
    }
    std::string controllers;
    if (object.contains("CgroupControllers"))
      for (const auto& c : object["CgroupControllers"]) controllers += (controllers.empty() ? "" : " ") + c.get<std::string>();
    std::printf(
        "Containers: %d\n Running: %d\n Stopped: %d\n Created: %d\nImages: %zu\nServer Version: %s\n"
        "Storage Driver: overlay\nStorage Root: %s\nRun Root: %s\nLogging Driver: json-file\n"
        "Cgroup Driver: cgroupfs\nCgroup Version: %s (%s)\nCgroup Controllers: %s\nRuntime: berth (embedded OCI runtime)\n"
        "Kernel Version: %s\nOperating System: %s\nOSType: linux\nArchitecture: %s\nCPUs: %ld\nTotal Memory: %.2fGiB\n",
        object["Containers"].get<int>(), object["ContainersRunning"].get<int>(), object["ContainersStopped"].get<int>(),
        object["ContainersCreated"].get<int>(), object["Images"].get<size_t>(),
        object["ServerVersion"].get<std::string>().c_str(), object["StorageRoot"].get<std::string>().c_str(),
        object["RunRoot"].get<std::string>().c_str(), object["CgroupVersion"].get<std::string>().c_str(),
        object.value("CgroupMode", std::string("unknown")).c_str(), controllers.c_str(),
        object["KernelVersion"].get<std::string>().c_str(), object["OperatingSystem"].get<std::string>().c_str(),
        object["Architecture"].get<std::string>().c_str(), object["NCPU"].get<long>(),
        static_cast<double>(object["MemTotal"].get<uint64_t>()) / (1024.0 * 1024 * 1024));
  });
}

}  // namespace berth::cli
