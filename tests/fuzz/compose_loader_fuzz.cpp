// A fuzz target for the compose loader, the parser of the most untrusted input berth reads.
//
// One input is one compose file (with an `include`d or `extends`-ed sibling available in memory, and an .env). It
// goes through the whole pipeline: dotenv, YAML, interpolation, include/extends, merge, canonical forms,
// normalisation, schema validation, typing, consistency, and both renderings. An input may be rejected with an
// error; it must never crash, hang, or make the loader hold unbounded memory.
//
// Two drivers share the target:
//  - built normally, this file is a self-contained mutation fuzzer (no libFuzzer needed, so it runs from a clean
//    Debian with GCC): it seeds from the compose fixtures, mutates bytes, lines and YAML tokens, runs for a bounded
//    time, and fails on a crash, a hang (watchdog) or runaway memory. Run as CTest's fuzz_compose_loader.
//      fuzz_compose_loader [--seconds N] [--seed S] [--corpus DIR]... [--replay FILE]...
//  - built with clang and -DBERTH_LIBFUZZER, LLVMFuzzerTestOneInput is the libFuzzer entry point.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "compose/dotenv.h"
#include "compose/loader.h"
#include "compose/render.h"
#include "compose/template.h"

namespace {

using namespace berth::compose;

// What a run can see: the fuzzed file, a sibling compose file and an .env, all in memory (the loader never touches
// the host's files here, whatever paths the input names).
struct Sandbox {
  std::string main;
  std::string sibling;
  std::string dotenv;
};

uint64_t g_loaded = 0;  // inputs that made a whole project (a measure of how deep the mutants reach)

void run_one(const Sandbox& sandbox) {
  Mapping environment{{"HOME", "/home/fuzz"}, {"TAG", "1.0"}, {"EMPTY", ""}, {"PORT", "8080"}};
  EnvMap dotenv_values;
  VariableLookup lookup = [&environment](std::string_view name) -> std::optional<std::string> {
    auto it = environment.find(std::string(name));
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
  (void)parse_dotenv(sandbox.dotenv, dotenv_values, lookup, ".env");
  for (auto& [key, value] : dotenv_values) environment.emplace(key, value);
  (void)substitute(sandbox.main.substr(0, 4096), lookup);

  auto files = std::make_shared<std::map<std::string, std::string>>();
  (*files)["/fuzz/compose.yaml"] = sandbox.main;
  (*files)["/fuzz/other.yaml"] = sandbox.sibling;
  (*files)["/fuzz/compose.override.yaml"] = sandbox.sibling;
  (*files)["/fuzz/.env"] = sandbox.dotenv;
  (*files)["/fuzz/app.env"] = sandbox.dotenv;
  FileAccess access;
  access.read = [files](const std::string& path) -> berth::Result<std::string> {
    auto it = files->find(path);
    if (it == files->end()) return berth::Error("open " + path + ": No such file or directory");
    return it->second;
  };
  access.is_file = [files](const std::string& path) { return files->count(path) > 0; };

  for (int variant = 0; variant < 2; ++variant) {
    LoadOptions options;
    options.files.push_back({"/fuzz/compose.yaml", std::nullopt});
    if (variant == 1) options.files.push_back({"/fuzz/compose.override.yaml", std::nullopt});
    options.working_dir = "/fuzz";
    options.environment = environment;
    options.project_name = "fuzz";
    options.profiles = {"dev"};
    options.files_access = access;
    options.max_files = 32;
    auto loaded = load_project(options);
    if (loaded) {
      ++g_loaded;
      RenderOptions yaml;
      (void)render_project(loaded->project, yaml);
      RenderOptions json;
      json.format = OutputFormat::json;
      (void)render_project(loaded->project, json);
      (void)loaded->project.services_in_dependency_order();
    }
    options.interpolate = false;
    options.normalize = variant == 0;
    auto model = load_model(options);
    if (model) (void)render_model(*model);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // The input splits into the three files at the first two form feeds, when it has them.
  Sandbox sandbox;
  size_t first = text.find('\f');
  size_t second = first == std::string::npos ? std::string::npos : text.find('\f', first + 1);
  sandbox.main = text.substr(0, first);
  if (first != std::string::npos) sandbox.sibling = text.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  if (second != std::string::npos) sandbox.dotenv = text.substr(second + 1);
  run_one(sandbox);
  return 0;
}

#ifndef BERTH_LIBFUZZER

namespace {

// Tokens that steer mutations towards the grammar the loader cares about.
const char* const kTokens[] = {
    "{",       "}",         "[",          "]",        ": ",          "- ",       "&a ",      "*a",       "<<: *a\n",
    "!reset ", "!override ", "${",        "}",        "$$",          "${VAR:-x}", "${X:?}",  "\n  ",     "\n    ",
    "---\n",   "'",         "\"",         "? ",       "|\n  x\n",    ">-\n  x\n", "#",       "~",        "null",
    "0x1F",    "1e999",     "-1",         "65536",    "0o777",       "true",     "yes",      "services:\n  s:\n    ",
    "image: a\n", "extends: s\n", "extends: {file: other.yaml, service: s}\n", "include: [other.yaml]\n",
    "depends_on: [s]\n", "ports: ['80:80', '1-65535:1-65535']\n", "volumes: ['./a:/a:ro']\n", "networks: [n]\n",
    "profiles: [dev]\n", "env_file: app.env\n", "x-e: &a {a: 1}\n", "\t", "\r\n", "\xEF\xBB\xBF", "\xFF", "\0",
    ":", "=", ",", "0", "\\", "%", "@", "`",
};

struct Corpus {
  std::vector<std::string> inputs;
};

void add_file(Corpus& corpus, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (!text.empty() && text.size() < 256 * 1024) corpus.inputs.push_back(std::move(text));
}

void add_directory(Corpus& corpus, const std::string& directory, int depth = 0) {
  if (depth > 8) return;
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) return;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = directory + "/" + name;
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      add_directory(corpus, path, depth + 1);
    } else if (S_ISREG(info.st_mode)) {
      auto ends = [&](const char* suffix) {
        size_t n = std::strlen(suffix);
        return name.size() >= n && name.compare(name.size() - n, n, suffix) == 0;
      };
      if (ends(".yaml") || ends(".yml") || ends(".env") || name == ".env") add_file(corpus, path);
    }
  }
  ::closedir(dir);
}

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : random_(seed) {}

  size_t below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(random_); }

  std::string mutate(std::string text, const Corpus& corpus) {
    // Mostly a single change, so that many mutants still load and the later stages get exercised too.
    size_t rounds = below(4) == 0 ? 2 + below(6) : 1;
    for (size_t r = 0; r < rounds; ++r) {
      switch (below(10)) {
        case 0:  // flip a byte
          if (!text.empty()) text[below(text.size())] ^= static_cast<char>(1 << below(8));
          break;
        case 1:  // insert a random byte
          text.insert(text.begin() + static_cast<ptrdiff_t>(below(text.size() + 1)), static_cast<char>(below(256)));
          break;
        case 2:  // delete a range
          if (!text.empty()) {
            size_t at = below(text.size());
            text.erase(at, 1 + below(std::min<size_t>(32, text.size() - at)));
          }
          break;
        case 3:  // duplicate a range
          if (!text.empty()) {
            size_t at = below(text.size());
            std::string piece = text.substr(at, 1 + below(64));
            text.insert(below(text.size() + 1), piece);
          }
          break;
        case 4:
        case 5:  // insert a grammar token
          text.insert(below(text.size() + 1), kTokens[below(sizeof kTokens / sizeof kTokens[0])]);
          break;
        case 6: {  // swap two lines
          std::vector<std::string> lines = split_lines(text);
          if (lines.size() > 1) std::swap(lines[below(lines.size())], lines[below(lines.size())]);
          text = join_lines(lines);
          break;
        }
        case 7: {  // duplicate a line, re-indented
          std::vector<std::string> lines = split_lines(text);
          if (!lines.empty()) {
            std::string line = std::string(below(3) * 2, ' ') + lines[below(lines.size())];
            lines.insert(lines.begin() + static_cast<ptrdiff_t>(below(lines.size() + 1)), line);
          }
          text = join_lines(lines);
          break;
        }
        case 8:  // splice with another input
          if (!corpus.inputs.empty()) {
            const std::string& other = corpus.inputs[below(corpus.inputs.size())];
            text = text.substr(0, below(text.size() + 1)) + other.substr(below(other.size() + 1));
          }
          break;
        case 9:  // change a number
          for (size_t at = text.find_first_of("0123456789", below(text.size() + 1)); at != std::string::npos;) {
            static const char* const kNumbers[] = {"0", "-1", "65535", "65536", "99999999999999999999", "1.5", "0x7fffffffffffffff"};
            text.replace(at, 1, kNumbers[below(7)]);
            break;
          }
          break;
      }
    }
    if (text.size() > 512 * 1024) text.resize(512 * 1024);
    return text;
  }

 private:
  static std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::string line;
    std::istringstream in(text);
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
  }
  static std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) out += line + "\n";
    return out;
  }

  std::mt19937_64 random_;
};

// The input being run, for the crash and hang reports.
std::string g_current;
std::atomic<int64_t> g_iteration_started_ms{0};
const char* g_crash_path = "fuzz-compose-crash.yaml";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void save_current(const char* why) {
  int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!::write(fd, g_current.data(), g_current.size());
    ::close(fd);
  }
  const char prefix[] = "fuzz_compose_loader: ";
  (void)!::write(2, prefix, sizeof prefix - 1);
  (void)!::write(2, why, std::strlen(why));
  const char suffix[] = "; the input is saved in fuzz-compose-crash.yaml (replay with --replay)\n";
  (void)!::write(2, suffix, sizeof suffix - 1);
}

void on_fatal_signal(int signal_number) {
  save_current(signal_number == SIGSEGV ? "crash (SIGSEGV)" : signal_number == SIGABRT ? "crash (SIGABRT)" : "crash");
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

// Resident memory in MiB.
long resident_mib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20;
  uint64_t seed = static_cast<uint64_t>(now_ms());
  std::vector<std::string> corpus_dirs, replays;
  long memory_limit_mib = 2048;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--seconds") seconds = std::atof(value().c_str());
    else if (arg == "--seed") seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (arg == "--corpus") corpus_dirs.push_back(value());
    else if (arg == "--replay") replays.push_back(value());
    else if (arg == "--memory-limit-mib") memory_limit_mib = std::atol(value().c_str());
    else {
      std::fprintf(stderr, "usage: %s [--seconds N] [--seed S] [--corpus DIR]... [--replay FILE]...\n", argv[0]);
      return 2;
    }
  }
  for (const std::string& replay : replays) {
    Corpus one;
    add_file(one, replay);
    if (one.inputs.empty()) {
      std::fprintf(stderr, "cannot read %s\n", replay.c_str());
      return 2;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(one.inputs[0].data()), one.inputs[0].size());
    std::printf("%s: no crash\n", replay.c_str());
  }
  if (!replays.empty()) return 0;

  Corpus corpus;
  for (const std::string& dir : corpus_dirs) add_directory(corpus, dir);
  corpus.inputs.push_back("services:\n  web:\n    image: nginx\n");
  std::printf("fuzz_compose_loader: %zu seeds, seed %llu, %.0f s\n", corpus.inputs.size(),
              static_cast<unsigned long long>(seed), seconds);
  std::fflush(stdout);

  ::signal(SIGSEGV, on_fatal_signal);
  ::signal(SIGABRT, on_fatal_signal);
  ::signal(SIGBUS, on_fatal_signal);
  ::signal(SIGFPE, on_fatal_signal);

  // The watchdog: one input may take at most 10 s, and the process at most `memory_limit_mib`.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      int64_t started = g_iteration_started_ms.load();
      if (started && now_ms() - started > 10000) {
        save_current("hang (one input ran for more than 10 s)");
        std::_Exit(3);
      }
      if (resident_mib() > memory_limit_mib) {
        save_current("runaway memory");
        std::_Exit(4);
      }
    }
  });

  Mutator mutator(seed);
  const int64_t deadline = now_ms() + static_cast<int64_t>(seconds * 1000);
  uint64_t runs = 0;
  while (now_ms() < deadline) {
    Sandbox sandbox;
    sandbox.main = mutator.mutate(corpus.inputs[mutator.below(corpus.inputs.size())], corpus);
    sandbox.sibling = mutator.below(2) ? corpus.inputs[mutator.below(corpus.inputs.size())]
                                       : mutator.mutate(corpus.inputs[mutator.below(corpus.inputs.size())], corpus);
    sandbox.dotenv = mutator.mutate("TAG=2\nPORT=81\nQUOTED=\"a\\nb\"\nexport X='y'\n", corpus);
    g_current = sandbox.main + "\f" + sandbox.sibling + "\f" + sandbox.dotenv;
    g_iteration_started_ms = now_ms();
    run_one(sandbox);
    g_iteration_started_ms = 0;
    ++runs;
    // Mutants join the seeds now and then, so that mutations compound.
    if (runs % 64 == 0 && corpus.inputs.size() < 4096) corpus.inputs.push_back(sandbox.main);
  }
  done = true;
  watchdog.join();
  std::printf("fuzz_compose_loader: %llu runs (%llu loaded a project), no crash, no hang\n",
              static_cast<unsigned long long>(runs), static_cast<unsigned long long>(g_loaded));
  return 0;
}

#endif  // BERTH_LIBFUZZER
