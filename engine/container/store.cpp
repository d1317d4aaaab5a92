#include "engine/container/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fmt/core.h>

#include "core/text.h"

namespace berth::container {

namespace {

constexpr const char* kAdjectives[] = {
    "admiring", "amazing", "blissful", "bold", "brave", "calm", "clever", "cool", "dazzling", "eager",
    "elegant", "epic", "focused", "friendly", "gallant", "gracious", "happy", "hopeful", "jolly", "keen",
    "kind", "lucid", "modest", "nifty", "optimistic", "peaceful", "quirky", "relaxed", "serene", "sharp",
    "stoic", "tender", "trusting", "upbeat", "vibrant", "wizardly", "youthful", "zealous"};
constexpr const char* kSurnames[] = {
    "albattani", "archimedes", "babbage", "bohr", "curie", "darwin", "dijkstra", "einstein", "euler", "fermat",
    "feynman", "galileo", "gauss", "hopper", "hypatia", "kepler", "knuth", "lamport", "lovelace", "maxwell",
    "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "torvalds", "turing",
    "wozniak", "yalow"};

}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(name[0])) return false;
  for (char c : name.substr(1))
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

std::string random_name() {
  auto id = text::random_hex_id();
  unsigned a = static_cast<unsigned>(std::stoul(id.substr(0, 4), nullptr, 16));
  unsigned b = static_cast<unsigned>(std::stoul(id.substr(4, 4), nullptr, 16));
  return fmt::format("{}_{}", kAdjectives[a % std::size(kAdjectives)], kSurnames[b % std::size(kSurnames)]);
}

ContainerStore::ContainerStore(StateRoot state) : state_(std::move(state)) {}

std::string ContainerStore::directory(const std::string& id) const { return fs::join(state_.containers(), id); }
std::string ContainerStore::rootfs(const std::string& id) const { return directory(id) + "/rootfs"; }
std::string ContainerStore::upper(const std::string& id) const { return directory(id) + "/diff"; }
std::string ContainerStore::work(const std::string& id) const { return directory(id) + "/work"; }
std::string ContainerStore::log_path(const std::string& id) const { return directory(id) + "/" + id + "-json.log"; }
std::string ContainerStore::run_directory(const std::string& id) const {
  return fs::join(state_.run_containers(), id);
}
std::string ContainerStore::name_file(const std::string& name) const { return state_.lib + "/names/" + name; }

Result<void> ContainerStore::reserve_name(const std::string& name, const std::string& id) const {
  const std::string path = name_file(name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd) {
      if (::write(fd.get(), id.data(), id.size()) != static_cast<ssize_t>(id.size()))
        return sys_error(fmt::format("write {}", path));
      return {};
    }
    if (errno != EEXIST) return sys_error(fmt::format("reserve name {}", name));
    auto holder = fs::read_file(path);
    std::string holder_id = holder ? std::string(text::trim(*holder)) : std::string();
    // A container's directory is made before its name is reserved, so a name whose container directory is gone
    // was left by a crash (or a removal killed halfway): take it over.
    if (!holder_id.empty() && fs::is_directory(directory(holder_id)))
      return unexpected(Error(fmt::format("Conflict. The container name \"/{}\" is already in use by container "
                                          "\"{}\". You have to remove (or rename) that container to be able to "
                                          "reuse that name.",
                                          name, holder_id),
                              EEXIST));
    ::unlink(path.c_str());
  }
  return unexpected(Error(fmt::format("reserve name {}: raced with another command", name), EEXIST));
}

Result<ContainerRecord> ContainerStore::create(ContainerRecord record) {
  BERTH_TRY(fs::make_directories(state_.containers(), 0700));
  BERTH_TRY(fs::make_directories(state_.lib + "/names", 0700));
  if (record.id.empty()) record.id = text::random_hex_id();
  const bool generated_name = record.name.empty();
  if (!generated_name && !is_valid_name(record.name))
    return unexpected(Error(fmt::format("Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                                        record.name), EINVAL));
  // The directory is made under a temporary name, locked, and renamed into place with its record inside, so that
  // `list` never sees a container directory without a record except while one is being removed (under its lock).
  const std::string dir = directory(record.id);
  const std::string staging = fs::join(state_.containers(), ".creating-" + record.id);
  if (::mkdir(staging.c_str(), 0700) != 0) return sys_error(fmt::format("mkdir {}", staging));
  auto staging_lock = FileLock::acquire(staging + "/lock");
  if (!staging_lock) {
    (void)fs::remove_tree(staging);
    return staging_lock.error();
  }
  if (auto saved = fs::write_file_atomic(staging + "/container.json", to_json(record), 0600,
                                         fs::Durability::process_crash);
      !saved) {
    (void)fs::remove_tree(staging);
    return saved.error();
  }
  if (::rename(staging.c_str(), dir.c_str()) != 0) {
    auto error = sys_error(fmt::format("rename {} to {}", staging, dir));
    (void)fs::remove_tree(staging);
    return error;
  }
  auto undo_directory = [&] { (void)fs::remove_tree(dir); };
  for (int attempt = 0;; ++attempt) {
    if (generated_name) record.name = random_name();
    auto reserved = reserve_name(record.name, record.id);
    if (reserved) break;
    if (!generated_name || attempt > 20) {
      undo_directory();
      return reserved.error();
    }
  }
  if (generated_name) {
    if (auto saved = save(record, fs::Durability::process_crash); !saved) {
      ::unlink(name_file(record.name).c_str());
      undo_directory();
      return saved.error();
    }
  }
  return record;
}

Result<std::string> ContainerStore::resolve(std::string_view name_or_id) const {
  std::string wanted(name_or_id);
  if (!wanted.empty() && wanted[0] == '/') wanted.erase(0, 1);  // Docker accepts "/name"
  if (wanted.empty()) return unexpected(Error("No such container: (empty name)", ENOENT));
  if (is_valid_name(wanted) || wanted.size() == 1) {
    if (auto holder = fs::read_file(name_file(wanted)); holder) {
      std::string id(text::trim(*holder));
      if (fs::exists(directory(id) + "/container.json")) return id;
    }
  }
  auto ids = BERTH_TRY(fs::list_directory(state_.containers()));
  std::string found;
  for (const auto& id : ids) {
    if (!text::starts_with(id, wanted) || id[0] == '.') continue;
    if (id == wanted) return id;
    if (!found.empty())
      return unexpected(Error(fmt::format("multiple containers found with provided prefix: {}", wanted), EINVAL));
    found = id;
  }
  if (found.empty() || !fs::exists(directory(found) + "/container.json"))
    return unexpected(Error(fmt::format("No such container: {}", wanted), ENOENT));
  return found;
}

Result<ContainerRecord> ContainerStore::load(const std::string& id) const {
  auto text = fs::read_file(directory(id) + "/container.json");
  if (!text) {
    if (text.error().errno_value() == ENOENT)
      return unexpected(Error(fmt::format("No such container: {}", id), ENOENT));
    return text.error();
  }
  return record_from_json(*text).context(fmt::format("reading container {}", text::short_id(id)));
}

Result<void> ContainerStore::save(const ContainerRecord& record, fs::Durability durability) const {
  return fs::write_file_atomic(directory(record.id) + "/container.json", to_json(record), 0600, durability);
}

Result<std::vector<ContainerRecord>> ContainerStore::list() const {
  std::vector<ContainerRecord> records;
  auto ids = BERTH_TRY(fs::list_directory(state_.containers()));
  for (const auto& id : ids) {
    if (id.find(".tmp") != std::string::npos) continue;
    if (text::starts_with(id, ".creating-")) {
      // Left by a create that was killed before its rename; a live creator holds the lock.
      auto lock = FileLock::try_acquire(fs::join(state_.containers(), id) + "/lock");
      if (lock && lock->held()) (void)fs::remove_tree(fs::join(state_.containers(), id));
      continue;
    }
    auto record = load(id);
    if (record) {
      records.push_back(std::move(*record));
      continue;
    }
    // A directory without a readable record is what a create killed halfway leaves: nothing can be running from
    // it (a record is written before anything is started), so it is removed if nobody holds its lock.
    auto lock = FileLock::try_acquire(directory(id) + "/lock");
    if (lock && lock->held() && !fs::exists(directory(id) + "/container.json")) (void)fs::remove_tree(directory(id));
  }
  std::sort(records.begin(), records.end(),
            [](const ContainerRecord& a, const ContainerRecord& b) { return a.created > b.created; });
  return records;
}

Result<FileLock> ContainerStore::lock(const std::string& id) const {
  if (!fs::is_directory(directory(id))) return unexpected(Error(fmt::format("No such container: {}", id), ENOENT));
  return FileLock::acquire(directory(id) + "/lock");
}

Result<void> ContainerStore::remove(const ContainerRecord& record) const {
  // The name goes last so that a crash in between leaves a name whose directory is gone, which reserve_name
  // recognises as stale.
  BERTH_TRY(fs::remove_tree(directory(record.id)).context(fmt::format("removing container {}", record.name)));
  (void)fs::remove_tree(run_directory(record.id));
  auto holder = fs::read_file(name_file(record.name));
  if (holder && text::trim(*holder) == record.id) ::unlink(name_file(record.name).c_str());
  return {};
}

}  // namespace berth::container
