// Benchmark of the compose loader: a generated project of 200 services (YAML anchors and merge keys,
// interpolation everywhere, two override files), loaded end to end as `berth compose config` loads it (discovery,
// .env, merge, validation, normalisation, typing, consistency) and rendered.
//
//   bench_compose_load --generate DIR           write DIR/compose.yaml, compose.override.yaml, compose.prod.yaml, .env
//   bench_compose_load [--iterations N] DIR     load (and render) the project in DIR N times; print the timings
//
// The whole command, process start included, is timed with hyperfine (see bench/compose/RESULTS.md).
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "compose/discovery.h"
#include "compose/loader.h"
#include "compose/render.h"

namespace {

constexpr int kServices = 200;

std::string service_name(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "svc%03d", i);
  return buffer;
}

std::string main_file() {
  std::string out = R"(name: bench
x-logging: &logging
  driver: json-file
  options:
    max-size: ${LOG_MAX_SIZE:-10m}
    max-file: "3"
x-defaults: &defaults
  restart: unless-stopped
  logging: *logging
  networks: [backend]
  environment: &environment
    TZ: ${TZ:-UTC}
    REGION: ${REGION}
    LOG_LEVEL: ${LOG_LEVEL:-info}
  healthcheck:
    test: ["CMD-SHELL", "wget -q -O- http://localhost:${HEALTH_PORT:-8080}/health || exit 1"]
    interval: 30s
    timeout: 5s
    retries: 3
  deploy:
    resources:
      limits: {cpus: "0.5", memory: 256M}
services:
)";
  for (int i = 0; i < kServices; ++i) {
    std::string name = service_name(i);
    out += "  " + name + ":\n";
    out += "    <<: *defaults\n";
    out += "    image: ${REGISTRY}/" + name + ":${TAG:-latest}\n";
    out += "    environment:\n      <<: *environment\n      SERVICE: " + name + "\n      INDEX: \"" +
           std::to_string(i) + "\"\n";
    out += "    labels:\n      - com.example.service=" + name + "\n      - com.example.team=team-" +
           std::to_string(i % 7) + "\n";
    if (i % 4 == 0) out += "    ports:\n      - \"" + std::to_string(20000 + i) + ":8080\"\n";
    out += "    volumes:\n      - data-" + std::to_string(i % 10) + ":/var/lib/" + name + "\n      - ./config/" + name +
           ":/etc/" + name + ":ro\n";
    if (i > 0) out += "    depends_on: [" + service_name(i - 1) + (i > 10 ? ", " + service_name(i / 10) : "") + "]\n";
    out += "    command: [\"/bin/" + name + "\", \"--port\", \"${APP_PORT:-8080}\"]\n";
  }
  out += "networks:\n  backend: {}\n  frontend: {}\nvolumes:\n";
  for (int v = 0; v < 10; ++v) out += "  data-" + std::to_string(v) + ": {}\n";
  return out;
}

std::string override_file() {
  std::string out = "services:\n";
  for (int i = 0; i < kServices; ++i) {
    out += "  " + service_name(i) + ":\n";
    out += "    environment:\n      - DEBUG=${DEBUG:-false}\n      - FEATURE_" + std::to_string(i % 5) + "=on\n";
    if (i % 4 == 0) out += "    ports: [\"" + std::to_string(30000 + i) + ":9229\"]\n";
  }
  return out;
}

std::string prod_file() {
  std::string out = "services:\n";
  for (int i = 0; i < kServices; i += 2) {
    out += "  " + service_name(i) + ":\n";
    out += "    deploy:\n      replicas: ${REPLICAS:-2}\n";
    out += "    labels: [\"com.example.env=prod\"]\n";
    if (i % 10 == 0) out += "    ports: !reset []\n";
  }
  return out;
}

bool write(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  return static_cast<bool>(out);
}

int generate(const std::string& directory) {
  ::mkdir(directory.c_str(), 0755);
  bool ok = write(directory + "/compose.yaml", main_file()) &&
            write(directory + "/compose.override.yaml", override_file()) &&
            write(directory + "/compose.prod.yaml", prod_file()) &&
            write(directory + "/.env", "REGISTRY=registry.example.com/bench\nTAG=1.4.2\nREGION=eu-west\n");
  if (!ok) {
    std::fprintf(stderr, "cannot write the project in %s\n", directory.c_str());
    return 1;
  }
  std::printf("generated %d services in %s\n", kServices, directory.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 50;
  std::string directory;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--generate" && i + 1 < argc) return generate(argv[++i]);
    if (arg == "--iterations" && i + 1 < argc) iterations = std::atoi(argv[++i]);
    else directory = arg;
  }
  if (directory.empty()) {
    std::fprintf(stderr, "usage: %s --generate DIR | [--iterations N] DIR\n", argv[0]);
    return 2;
  }
  using namespace berth::compose;
  ProjectRequest request;
  request.files = {directory + "/compose.yaml", directory + "/compose.override.yaml", directory + "/compose.prod.yaml"};
  ProcessContext process;
  process.cwd = directory;
  process.environment = {{"HOME", "/root"}};

  std::vector<double> load_ms, total_ms;
  size_t output_size = 0;
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto options = resolve_project_request(request, process);
    if (!options) {
      std::fprintf(stderr, "%s\n", options.error().message().c_str());
      return 1;
    }
    options->discard_env_files = true;
    options->prune_unused_resources = true;
    auto loaded = load_project(*options);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().message().c_str());
      return 1;
    }
    auto loaded_at = std::chrono::steady_clock::now();
    output_size = render_project(loaded->project).size();
    auto rendered_at = std::chrono::steady_clock::now();
    load_ms.push_back(std::chrono::duration<double, std::milli>(loaded_at - start).count());
    total_ms.push_back(std::chrono::duration<double, std::milli>(rendered_at - start).count());
  }
  auto report = [](const char* what, std::vector<double> values) {
    std::sort(values.begin(), values.end());
    std::printf("%-18s min %7.2f ms   median %7.2f ms   max %7.2f ms\n", what, values.front(),
                values[values.size() / 2], values.back());
  };
  std::printf("%d services, 3 files, %d iterations, %zu bytes of YAML output\n", kServices, iterations, output_size);
  report("load", load_ms);
  report("load + render", total_ms);
  return 0;
}
