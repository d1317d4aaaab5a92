// The container records of one state root: creation with a unique name, lookup by name, id or id prefix, atomic
// updates under a per-container lock, removal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/fs.h"
#include "core/lock.h"
#include "core/paths.h"
#include "engine/container/record.h"

namespace berth::container {

// Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool is_valid_name(std::string_view name);
// "adjective_surname", as Docker's generated names.
std::string random_name();

class ContainerStore {
 public:
  explicit ContainerStore(StateRoot state);

  // Gives the record an id (and a generated name when it has none), makes its directory and writes it. A name in
  // use is a "Conflict" error naming the container that holds it.
  Result<ContainerRecord> create(ContainerRecord record);
  // A name, a full id, or an unambiguous id prefix -> id. "No such container: x" otherwise.
  Result<std::string> resolve(std::string_view name_or_id) const;
  Result<ContainerRecord> load(const std::string& id) const;
  Result<void> save(const ContainerRecord& record, fs::Durability durability = fs::Durability::power_loss) const;
  // Every readable record; directories whose record is missing or unreadable (a crash during create) are removed.
  Result<std::vector<ContainerRecord>> list() const;
  Result<FileLock> lock(const std::string& id) const;
  // Deletes the directory and frees the name. The caller has unmounted and stopped everything.
  Result<void> remove(const ContainerRecord& record) const;

  std::string directory(const std::string& id) const;      // lib/containers/<id>
  std::string rootfs(const std::string& id) const;         // .../rootfs (overlay mount point)
  std::string upper(const std::string& id) const;          // .../diff (overlay upper)
  std::string work(const std::string& id) const;           // .../work (overlay work dir)
  std::string log_path(const std::string& id) const;       // .../<id>-json.log
  std::string run_directory(const std::string& id) const;  // run/containers/<id>
  const StateRoot& state() const { return state_; }

 private:
  Result<void> reserve_name(const std::string& name, const std::string& id) const;
  std::string name_file(const std::string& name) const;
  StateRoot state_;
};

}  // namespace berth::container
