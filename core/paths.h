// Where berth keeps its state. Persistent records live under `lib` (default /var/lib/berth), records that die
// with a reboot under `run` (default /run/berth, a tmpfs on real hosts). `--root DIR` or BERTH_ROOT=DIR puts both
// below DIR (DIR/lib and DIR/run), which is how every integration test gets a private state.
#pragma once

#include <string>

namespace berth {

struct StateRoot {
  std::string lib;  // images/, layers/, containers/, volumes/, networks/
  std::string run;  // containers/<id>/ (supervisor socket, pid), runtime/<id>/ (OCI runtime state)

  // Default paths, or the ones under `root_override` / BERTH_ROOT when given.
  static StateRoot resolve(const std::string& root_override = "");

  std::string images() const { return lib + "/images"; }          // OCI image layout: oci-layout, index.json, blobs/
  std::string layers() const { return lib + "/layers"; }          // unpacked layers, one directory per diff id
  std::string containers() const { return lib + "/containers"; }  // container records, upper/work dirs
  std::string volumes() const { return lib + "/volumes"; }
  std::string networks() const { return lib + "/networks"; }
  std::string run_containers() const { return run + "/containers"; }
  std::string runtime_state() const { return run + "/runtime"; }  // embedded OCI runtime's state (as runc's /run/runc)
  std::string locks() const { return run + "/locks"; }
};

}  // namespace berth
