#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/digest.h"
#include "engine/image/image_store.h"
#include "engine/image/oci_documents.h"
#include "tests/unit/image/tar_builder.h"

using namespace berth;
using namespace berth::testing;
using berth::image::Image;
using berth::image::ImageStore;

namespace {

struct TestStore {
  TempDir temp;
  StateRoot state = StateRoot::resolve(temp.path());
  ImageStore store = open();

  ImageStore open() {
    auto opened = ImageStore::open(state, image::StoreOptions{false});
    INFO((opened ? "" : opened.error().message()));
    REQUIRE(opened);
    return std::move(*opened);
  }
  Result<Image> import(const std::string& tar, std::optional<std::string> name = std::nullopt,
                       std::vector<std::string> changes = {}, std::string message = "") {
    auto fd = bytes_fd(tar);
    return store.import_rootfs(fd.get(), name, changes, message, "rootfs.tar");
  }
  Image imported(const std::string& tar, std::optional<std::string> name = std::nullopt,
                 std::vector<std::string> changes = {}) {
    auto image = import(tar, std::move(name), std::move(changes));
    INFO((image ? "" : image.error().message()));
    REQUIRE(image);
    return *image;
  }
  // Every path below the state root with its type and size: "the store is unchanged" means this is equal.
  std::set<std::string> snapshot() const {
    std::set<std::string> paths;
    walk(state.lib, paths);
    return paths;
  }
  static void walk(const std::string& directory, std::set<std::string>& paths) {
    for (const auto& name : fs::list_directory(directory).value_or(std::vector<std::string>{})) {
      std::string path = directory + "/" + name;
      struct stat st {};
      ::lstat(path.c_str(), &st);
      paths.insert(path + " " + std::to_string(st.st_mode) + " " + std::to_string(S_ISDIR(st.st_mode) ? 0 : st.st_size));
      if (S_ISDIR(st.st_mode)) walk(path, paths);
    }
  }
};

std::string rootfs_tar(const std::string& marker = "1") {
  auto owned = file_entry("home/app/owned", "mine");
  owned.uid = 1000;
  owned.gid = 1000;
  return build_tar({directory_entry("./"), directory_entry("bin"), file_entry("bin/sh", "#!fake shell " + marker, 0755),
                    symlink_entry("bin/ls", "sh"), directory_entry("etc"), file_entry("etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
                    device_entry("dev/null", AE_IFCHR, 1, 3), directory_entry("home/app"), owned});
}

nlohmann::json json_file(const std::string& path) {
  auto content = fs::read_file(path);
  REQUIRE(content);
  return nlohmann::json::parse(*content);
}

}  // namespace

TEST_CASE("opening a store creates the OCI layout", "[store]") {
  TestStore t;
  CHECK(fs::read_file(t.state.images() + "/oci-layout").value_or("").find("\"imageLayoutVersion\":\"1.0.0\"") !=
        std::string::npos);
  auto index = json_file(t.state.images() + "/index.json");
  CHECK(index["schemaVersion"] == 2);
  CHECK(index["manifests"].empty());
  CHECK(fs::is_directory(t.state.images() + "/blobs/sha256"));
  CHECK(fs::is_directory(t.state.layers() + "/l"));
  REQUIRE(t.store.list());
  CHECK(t.store.list()->empty());
}

TEST_CASE("import makes a one-layer OCI image and unpacks it once", "[store]") {
  TestStore t;
  std::string tar = rootfs_tar();
  auto image = t.imported(tar, "busybox", {"CMD [\"/bin/sh\"]", "ENV A=1", "EXPOSE 80"});

  CHECK(is_sha256_digest(image.id));
  CHECK(image.repo_tags == std::vector<std::string>{"busybox:latest"});
  CHECK(image.diff_ids == std::vector<std::string>{sha256_digest(tar)});
  CHECK(image.config.cmd == std::vector<std::string>{"/bin/sh"});
  CHECK(image.config.env == std::vector<std::string>{"A=1"});
  CHECK(image.config.exposed_ports == std::vector<std::string>{"80/tcp"});
  CHECK(image.os == "linux");
  CHECK(image.architecture == image::host_platform().architecture);
  CHECK(image.size == std::string("#!fake shell 1").size() + std::string("root:x:0:0::/root:/bin/sh\n").size() + 4);

  // Blobs: the config's digest is the image ID, the layer blob is the plain tar (digest == diff id).
  std::string blobs = t.state.images() + "/blobs/sha256/";
  auto config = fs::read_file(blobs + image.id.substr(7));
  REQUIRE(config);
  CHECK(sha256_digest(*config) == image.id);
  CHECK(fs::read_file(blobs + image.diff_ids[0].substr(7)).value_or("") == tar);
  auto config_json = nlohmann::json::parse(*config);
  CHECK(config_json["rootfs"]["type"] == "layers");
  CHECK(config_json["config"]["Cmd"] == nlohmann::json::array({"/bin/sh"}));
  CHECK(config_json["config"]["ExposedPorts"].contains("80/tcp"));
  CHECK(config_json["history"][0]["comment"] == "Imported from rootfs.tar");
  auto manifest = json_file(blobs + image.manifest_digest.substr(7));
  CHECK(manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json");
  CHECK(manifest["config"]["digest"] == image.id);
  CHECK(manifest["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar");
  CHECK(manifest["layers"][0]["digest"] == image.diff_ids[0]);
  auto index = json_file(t.state.images() + "/index.json");
  REQUIRE(index["manifests"].size() == 1);
  CHECK(index["manifests"][0]["digest"] == image.manifest_digest);
  CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] ==
        "docker.io/library/busybox:latest");

  // The layer: unpacked under layers/<hex>/diff, reachable through the short link; no device as non-root.
  REQUIRE(image.layer_dirs.size() == 1);
  CHECK(image.layer_dirs[0] == t.state.layers() + "/" + image.diff_ids[0].substr(7) + "/diff");
  CHECK(fs::read_file(image.layer_dirs[0] + "/bin/sh").value_or("") == "#!fake shell 1");
  CHECK(S_ISLNK(lmode(image.layer_dirs[0] + "/bin/ls")));
  CHECK_FALSE(lexists(image.layer_dirs[0] + "/dev/null"));
  REQUIRE(image.layer_links.size() == 1);
  CHECK(image.layer_links[0].size() == 2 + 26);
  CHECK(fs::read_file(t.state.layers() + "/" + image.layer_links[0] + "/etc/passwd").value_or("").starts_with("root"));
  struct stat st {};
  REQUIRE(::stat((image.layer_dirs[0] + "/home/app/owned").c_str(), &st) == 0);
  CHECK(st.st_uid == ::geteuid());  // ownership is only kept as root
}

TEST_CASE("import with a message, without a name", "[store]") {
  TestStore t;
  auto fd = bytes_fd(rootfs_tar());
  auto image = t.store.import_rootfs(fd.get(), std::nullopt, {}, "my message");
  REQUIRE(image);
  CHECK(image->repo_tags.empty());
  auto inspect = nlohmann::json::parse(t.store.inspect_json(image->id).value());
  CHECK(inspect["Comment"] == "my message");
  auto index = json_file(t.state.images() + "/index.json");
  REQUIRE(index["manifests"].size() == 1);
  CHECK_FALSE(index["manifests"][0].contains("annotations"));
}

TEST_CASE("find by name, full reference, ID and ID prefix", "[store]") {
  TestStore t;
  auto image = t.imported(rootfs_tar(), "busybox:1.36");
  std::string hex = image.id.substr(7);
  for (const std::string& name : std::vector<std::string>{"busybox:1.36", "docker.io/library/busybox:1.36", "library/busybox:1.36", image.id, hex,
                           hex.substr(0, 12), "sha256:" + hex.substr(0, 5)}) {
    INFO(name);
    auto found = t.store.find(name);
    REQUIRE(found);
    CHECK(found->id == image.id);
  }
  auto missing = t.store.find("busybox");  // :latest does not exist
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message() == "No such image: busybox");
  CHECK_FALSE(t.store.find("sha256:zz"));
  CHECK_FALSE(t.store.find("Invalid Name"));
}

TEST_CASE("list shows every image newest first; tags move between images", "[store]") {
  TestStore t;
  auto first = t.imported(rootfs_tar("1"), "app:v1");
  auto second = t.imported(rootfs_tar("2"), "app:v1");  // takes the tag; the first image stays, untagged
  auto listed = t.store.list();
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].id == second.id);
  CHECK((*listed)[0].repo_tags == std::vector<std::string>{"app:v1"});
  CHECK((*listed)[1].id == first.id);
  CHECK((*listed)[1].repo_tags.empty());

  REQUIRE(t.store.tag(first.id, "app:old"));
  REQUIRE(t.store.tag("app:v1", "localhost:5000/team/app"));
  CHECK(t.store.find("app:old")->id == first.id);
  CHECK(t.store.find("localhost:5000/team/app:latest")->id == second.id);
  CHECK(t.store.find(second.id)->repo_tags == std::vector<std::string>{"app:v1", "localhost:5000/team/app:latest"});
  auto bad = t.store.tag("app:v1", "Bad/Name");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("must be lowercase") != std::string::npos);
  CHECK_FALSE(t.store.tag("missing", "x"));
}

TEST_CASE("remove untags, then deletes blobs and layers nothing else uses", "[store]") {
  TestStore t;
  auto before = t.snapshot();
  std::string tar = rootfs_tar();
  auto image = t.imported(tar, "busybox");
  REQUIRE(t.store.tag("busybox", "other:1"));
  auto no_containers = [](const std::string&) { return false; };

  auto lines = t.store.remove("other:1", false, no_containers);
  REQUIRE(lines);
  CHECK(*lines == std::vector<std::string>{"Untagged: other:1"});
  CHECK(t.store.find(image.id));

  // A second image sharing the layer keeps it alive.
  auto sibling = t.imported(tar, "sibling");
  CHECK(sibling.diff_ids == image.diff_ids);
  CHECK(sibling.id != image.id);  // created differs

  lines = t.store.remove("busybox", false, no_containers);
  REQUIRE(lines);
  CHECK(*lines == std::vector<std::string>{"Untagged: busybox:latest", "Deleted: " + image.id});
  CHECK_FALSE(t.store.find(image.id));
  CHECK_FALSE(fs::exists(t.state.images() + "/blobs/sha256/" + image.id.substr(7)));
  CHECK(fs::exists(sibling.layer_dirs[0]));
  CHECK(fs::exists(t.state.images() + "/blobs/sha256/" + image.diff_ids[0].substr(7)));

  lines = t.store.remove(sibling.id.substr(7, 12), false, no_containers);
  REQUIRE(lines);
  CHECK(*lines == std::vector<std::string>{"Untagged: sibling:latest", "Deleted: " + sibling.id,
                                           "Deleted: " + sibling.diff_ids[0]});
  CHECK_FALSE(lexists(t.state.layers() + "/" + sibling.layer_links[0]));
  CHECK(t.snapshot() == before);  // back to an empty store: nothing leaked
}

TEST_CASE("remove by ID with several names needs force", "[store]") {
  TestStore t;
  auto image = t.imported(rootfs_tar(), "a");
  REQUIRE(t.store.tag("a", "b"));
  auto refused = t.store.remove(image.id, false, {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("must be forced") != std::string::npos);
  auto lines = t.store.remove(image.id, true, {});
  REQUIRE(lines);
  CHECK(lines->size() == 4);  // two Untagged, image and layer Deleted
  CHECK(t.store.list()->empty());
}

TEST_CASE("an image in use is refused, and with force untagged but kept", "[store]") {
  TestStore t;
  auto image = t.imported(rootfs_tar(), "busybox");
  auto in_use = [&](const std::string& id) { return id == image.id; };
  auto refused = t.store.remove("busybox", false, in_use);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message() == "conflict: unable to remove image busybox: image is being used by a container");
  REQUIRE_FALSE(t.store.remove(image.id, false, in_use));
  auto lines = t.store.remove("busybox", true, in_use);
  REQUIRE(lines);
  CHECK(*lines == std::vector<std::string>{"Untagged: busybox:latest"});
  auto kept = t.store.find(image.id);
  REQUIRE(kept);
  CHECK(kept->repo_tags.empty());
  CHECK(fs::exists(kept->layer_dirs[0]));
}

TEST_CASE("a failed import leaves the store unchanged", "[store]") {
  TestStore t;
  t.imported(rootfs_tar("existing"), "existing");
  auto before = t.snapshot();
  std::string big(200000, 'b');
  std::string good = build_tar({file_entry("a", "a"), file_entry("big", big)});

  auto truncated = t.import(good.substr(0, 4000), "broken");
  REQUIRE_FALSE(truncated);
  CHECK(truncated.error().message().find("reading rootfs.tar: ") == 0);
  CHECK(t.snapshot() == before);

  auto hostile = t.import(build_tar({file_entry("ok", "1"), file_entry("../escape", "x")}), "hostile");
  REQUIRE_FALSE(hostile);
  CHECK(t.snapshot() == before);

  auto garbage = t.import(std::string(5000, 'g'));
  REQUIRE_FALSE(garbage);
  CHECK(t.snapshot() == before);

  auto bad_name = t.import(good, "Bad:tag");
  REQUIRE_FALSE(bad_name);
  CHECK(bad_name.error().message().find("must be lowercase") != std::string::npos);
  auto bad_change = t.import(good, "fine", {"RUN x"});
  REQUIRE_FALSE(bad_change);
  CHECK(t.snapshot() == before);
}

TEST_CASE("leftovers of a crashed writer are cleaned, and reading tolerates them", "[store]") {
  TestStore t;
  auto image = t.imported(rootfs_tar(), "busybox");
  REQUIRE(fs::make_directories(t.state.layers() + "/.tmp-crash1/diff/usr"));
  REQUIRE(fs::write_file_atomic(t.state.images() + "/blobs/sha256/.tmp-crash2", "partial"));
  REQUIRE(fs::write_file_atomic(t.state.images() + "/index.json.tmp-1-2-3", "{partial"));
  // An index entry whose manifest blob never made it (written by hand: our own writes never do this).
  auto index = json_file(t.state.images() + "/index.json");
  index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                {"digest", "sha256:" + std::string(64, 'e')},
                                {"size", 10}});
  REQUIRE(fs::write_file_atomic(t.state.images() + "/index.json", index.dump()));

  auto listed = t.store.list();
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].id == image.id);

  auto reopened = ImageStore::open(t.state, image::StoreOptions{false});
  REQUIRE(reopened);
  CHECK_FALSE(fs::exists(t.state.layers() + "/.tmp-crash1"));
  CHECK_FALSE(fs::exists(t.state.images() + "/blobs/sha256/.tmp-crash2"));
  CHECK_FALSE(fs::exists(t.state.images() + "/index.json.tmp-1-2-3"));
  CHECK(reopened->find("busybox"));
}

TEST_CASE("concurrent imports of the same layer share one copy", "[store][concurrency]") {
  TestStore t;
  std::string tar = rootfs_tar();
  SECTION("threads") {
    std::vector<Result<Image>> results(4, Result<Image>(Error("not run")));
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&, i] {
        auto fd = bytes_fd(tar);
        results[i] = t.store.import_rootfs(fd.get(), "img:" + std::to_string(i), {}, "");
      });
    for (auto& thread : threads) thread.join();
    for (auto& result : results) {
      INFO((result ? "" : result.error().message()));
      REQUIRE(result);
      CHECK(result->layer_dirs == results[0]->layer_dirs);
    }
  }
  SECTION("processes") {
    std::vector<pid_t> children;
    for (int i = 0; i < 3; ++i) {
      pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        auto store = ImageStore::open(t.state, image::StoreOptions{false});
        if (!store) ::_exit(2);
        auto fd = bytes_fd(tar);
        ::_exit(store->import_rootfs(fd.get(), "proc:" + std::to_string(i), {}, "") ? 0 : 1);
      }
      children.push_back(child);
    }
    for (pid_t child : children) {
      int status = 0;
      REQUIRE(::waitpid(child, &status, 0) == child);
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
    }
  }
  auto listed = t.store.list();
  REQUIRE(listed);
  CHECK(listed->size() >= 3);
  // One unpacked layer, one link, no staging leftovers.
  auto layers = fs::list_directory(t.state.layers()).value();
  std::sort(layers.begin(), layers.end());
  CHECK(layers == std::vector<std::string>{(*listed)[0].diff_ids[0].substr(7), "l"});
  auto blobs = fs::list_directory(t.state.images() + "/blobs/sha256").value();
  for (const auto& name : blobs)
    CHECK(name.find(".tmp-") == std::string::npos);
}

TEST_CASE("inspect uses Docker's field names", "[store]") {
  TestStore t;
  auto image = t.imported(rootfs_tar(), "busybox", {"ENTRYPOINT [\"/bin/sh\"]", "LABEL a=b", "WORKDIR /w"});
  auto text = t.store.inspect_json("busybox");
  REQUIRE(text);
  auto inspect = nlohmann::json::parse(*text);
  CHECK(inspect["Id"] == image.id);
  CHECK(inspect["RepoTags"] == nlohmann::json::array({"busybox:latest"}));
  CHECK(inspect["RepoDigests"].empty());
  CHECK(inspect["Config"]["Entrypoint"] == nlohmann::json::array({"/bin/sh"}));
  CHECK(inspect["Config"]["Labels"]["a"] == "b");
  CHECK(inspect["Config"]["WorkingDir"] == "/w");
  CHECK(inspect["RootFS"]["Type"] == "layers");
  CHECK(inspect["RootFS"]["Layers"] == nlohmann::json(image.diff_ids));
  CHECK(inspect["Os"] == "linux");
  CHECK(inspect["Size"] == image.size);
  CHECK(inspect["Created"] == image.created);
  CHECK_FALSE(t.store.inspect_json("nope"));
}
