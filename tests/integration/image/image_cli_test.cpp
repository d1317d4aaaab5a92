// `berth import|images|image inspect|rmi|tag` as root, through the binary, against a private state root.
#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "core/fs.h"
#include "core/paths.h"
#include "tests/support/lib/test_env.h"
#include "tests/unit/image/tar_builder.h"

using namespace berth::testing;
using berth::StateRoot;
namespace fs = berth::fs;

namespace {

// `berth ARGS` against the test's state root.
CommandResult cli(const TempStateRoot& root, const std::vector<std::string>& args, const std::string& input = "") {
  return berth::testing::berth(root.path(), args, input);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Imports and returns the printed ID.
std::string import_ok(const TempStateRoot& root, const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> argv{"import"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = cli(root, argv, input);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::string id = trimmed(result.out);
  REQUIRE(std::regex_match(id, std::regex("sha256:[0-9a-f]{64}")));
  return id;
}

std::string write_temp_file(const TempStateRoot& root, const std::string& name, const std::string& content) {
  std::string path = root.path() + "/" + name;
  REQUIRE(fs::write_file_atomic(path, content));
  return path;
}

std::string layer_dir(const TempStateRoot& root, const std::string& image) {
  auto inspect = cli(root, {"image", "inspect", image});
  REQUIRE(inspect.exit_code == 0);
  auto object = nlohmann::json::parse(inspect.out)[0];
  std::string diff_id = object["RootFS"]["Layers"][0];
  return StateRoot::resolve(root.path()).layers() + "/" + diff_id.substr(7) + "/diff";
}

}  // namespace

TEST_CASE("import, images, inspect, tag and rmi through the binary", "[image][cli]") {
  TempStateRoot root;
  LeakCheck leaks(root.path());
  std::string tarball = busybox_rootfs_tarball();

  std::string id = import_ok(root, {tarball, "busybox", "--change", "CMD [\"/bin/sh\"]", "-c", "ENV A=1 B=\"two words\"",
                                    "-m", "imported by a test"});
  std::string short_id = id.substr(7, 12);

  auto images = cli(root, {"images"});
  REQUIRE(images.exit_code == 0);
  auto rows = lines_of(images.out);
  REQUIRE(rows.size() == 2);
  CHECK(std::regex_match(rows[0], std::regex("REPOSITORY +TAG +IMAGE ID +CREATED +SIZE")));
  CHECK(std::regex_match(rows[1], std::regex("busybox +latest +" + short_id + " +.* ago +[0-9.]+[kM]B")));
  CHECK(trimmed(cli(root, {"image", "ls", "-q"}).out) == short_id);
  CHECK(trimmed(cli(root, {"images", "-a", "--no-trunc", "-q"}).out) == id);

  auto json_lines = cli(root, {"images", "--format", "json"});
  REQUIRE(json_lines.exit_code == 0);
  auto line = nlohmann::json::parse(lines_of(json_lines.out).at(0));
  CHECK(line["Repository"] == "busybox");
  CHECK(line["Tag"] == "latest");
  CHECK(line["ID"] == short_id);

  auto inspect = cli(root, {"image", "inspect", "busybox"});
  REQUIRE(inspect.exit_code == 0);
  auto objects = nlohmann::json::parse(inspect.out);
  REQUIRE(objects.size() == 1);
  CHECK(objects[0]["Id"] == id);
  CHECK(objects[0]["RepoTags"] == nlohmann::json::array({"busybox:latest"}));
  CHECK(objects[0]["Config"]["Cmd"] == nlohmann::json::array({"/bin/sh"}));
  CHECK(objects[0]["Config"]["Env"] == nlohmann::json::array({"A=1", "B=two words"}));
  CHECK(objects[0]["Comment"] == "imported by a test");
  CHECK(objects[0]["Os"] == "linux");
  CHECK(objects[0]["Size"].get<uint64_t>() > 500000);

  REQUIRE(cli(root, {"tag", "busybox", "localhost:5000/team/bb:v1"}).exit_code == 0);
  REQUIRE(cli(root, {"image", "tag", short_id, "other"}).exit_code == 0);
  CHECK(std::regex_search(cli(root, {"images", "localhost:5000/team/bb"}).out,
                          std::regex("localhost:5000/team/bb +v1 +" + short_id)));
  auto inspect_two = cli(root, {"image", "inspect", "other", "missing"});
  CHECK(inspect_two.exit_code == 1);
  CHECK(nlohmann::json::parse(inspect_two.out).size() == 1);
  CHECK(inspect_two.err == "Error: No such image: missing\n");

  auto refused = cli(root, {"rmi", id});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("must be forced") != std::string::npos);
  auto untag = cli(root, {"rmi", "other", "localhost:5000/team/bb:v1"});
  CHECK(untag.exit_code == 0);
  CHECK(untag.out == "Untagged: other:latest\nUntagged: localhost:5000/team/bb:v1\n");
  auto removed = cli(root, {"image", "rm", "busybox"});
  INFO(removed.err);
  CHECK(removed.exit_code == 0);
  CHECK(removed.out.find("Untagged: busybox:latest\nDeleted: " + id + "\nDeleted: sha256:") == 0);
  CHECK(lines_of(cli(root, {"images"}).out).size() == 1);
  auto layers = fs::list_directory(StateRoot::resolve(root.path()).layers()).value();
  CHECK(layers == std::vector<std::string>{"l"});
  CHECK(cli(root, {"rmi", "busybox"}).err == "Error: No such image: busybox\n");

  CHECK(leaks.leaks().empty());
}

TEST_CASE("import reads standard input and compressed tarballs", "[image][cli]") {
  TempStateRoot root;
  LeakCheck leaks(root.path());
  std::vector<TarEntry> entries{directory_entry("etc"), file_entry("etc/hostname", "box\n")};
  for (auto compression : {Compression::none, Compression::gzip, Compression::zstd, Compression::xz}) {
    std::string bytes = build_tar(entries, compression);
    std::string name = "c" + std::to_string(static_cast<int>(compression));
    import_ok(root, {"-", name}, bytes);  // standard input
    std::string path = write_temp_file(root, name + ".bin", bytes);  // a name that says nothing of the format
    import_ok(root, {path, name + "-file"});
    CHECK(fs::read_file(layer_dir(root, name + "-file") + "/etc/hostname").value_or("") == "box\n");
  }
  CHECK(leaks.leaks().empty());
}

TEST_CASE("as root, import keeps devices, fifos, ownership and capabilities", "[image][cli]") {
  TempStateRoot root;
  LeakCheck leaks(root.path());
  auto owned = file_entry("home/app/file", "mine", 04750);
  owned.uid = 1000;
  owned.gid = 1001;
  auto ping = file_entry("bin/ping", "binary", 0755);
  // VFS_CAP_REVISION_2 data granting cap_net_raw (bit 13) permitted+effective.
  std::string capability("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  ping.xattrs = {{"security.capability", capability}};
  auto upper = directory_entry("var/cache");
  std::string path = write_temp_file(
      root, "rootfs.tar",
      build_tar({device_entry("dev/null", AE_IFCHR, 1, 3), device_entry("dev/loop9", AE_IFBLK, 7, 9),
                 device_entry("run/fifo", AE_IFIFO, 0, 0), owned, ping, upper, file_entry("var/cache/.wh..wh..opq", ""),
                 file_entry("etc/.wh.motd", "")}));
  import_ok(root, {path, "special"});
  std::string layer = layer_dir(root, "special");

  struct stat st {};
  REQUIRE(::lstat((layer + "/dev/null").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(1, 3));
  REQUIRE(::lstat((layer + "/dev/loop9").c_str(), &st) == 0);
  CHECK(S_ISBLK(st.st_mode));
  CHECK(S_ISFIFO(lmode(layer + "/run/fifo")));
  REQUIRE(::lstat((layer + "/home/app/file").c_str(), &st) == 0);
  CHECK(st.st_uid == 1000);
  CHECK(st.st_gid == 1001);
  CHECK((st.st_mode & 07777) == 04750);  // set-user-ID survives the chown
  char value[64];
  ssize_t length = ::lgetxattr((layer + "/bin/ping").c_str(), "security.capability", value, sizeof value);
  CHECK(length == static_cast<ssize_t>(capability.size()));
  CHECK(::lgetxattr((layer + "/var/cache").c_str(), "trusted.overlay.opaque", value, sizeof value) == 1);
  REQUIRE(::lstat((layer + "/etc/motd").c_str(), &st) == 0);
  CHECK((S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)));

  // The busybox rootfs's /home/app belongs to 1000:1000 too.
  import_ok(root, {busybox_rootfs_tarball(), "busybox"});
  REQUIRE(::lstat((layer_dir(root, "busybox") + "/home/app").c_str(), &st) == 0);
  CHECK(st.st_uid == 1000);
  CHECK(leaks.leaks().empty());
}

TEST_CASE("whiteouts and opaque directories work as overlay lower layers", "[image][cli][overlay]") {
  TempStateRoot root;
  LeakCheck leaks(root.path());
  std::string base = write_temp_file(
      root, "base.tar",
      build_tar({file_entry("etc/motd", "hello"), file_entry("etc/keep", "k"), file_entry("cache/old", "o")}));
  std::string top = write_temp_file(
      root, "top.tar",
      build_tar({file_entry("etc/.wh.motd", ""), directory_entry("cache"), file_entry("cache/.wh..wh..opq", ""),
                 file_entry("cache/new", "n")}));
  import_ok(root, {base, "base"});
  import_ok(root, {top, "top"});
  std::string lower = layer_dir(root, "top") + ":" + layer_dir(root, "base");
  std::string target = root.path() + "/merged";
  REQUIRE(fs::make_directories(target));

  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A private mount namespace: the mount dies with the child, whatever happens.
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(10);
    std::string options = "lowerdir=" + lower;
    if (::mount("overlay", target.c_str(), "overlay", MS_RDONLY, options.c_str()) != 0) ::_exit(11);
    bool motd_hidden = ::access((target + "/etc/motd").c_str(), F_OK) != 0;
    bool keep_visible = ::access((target + "/etc/keep").c_str(), F_OK) == 0;
    bool old_hidden = ::access((target + "/cache/old").c_str(), F_OK) != 0;
    bool new_visible = ::access((target + "/cache/new").c_str(), F_OK) == 0;
    ::_exit(motd_hidden && keep_visible && old_hidden && new_visible ? 0 : 12);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(leaks.leaks().empty());
}

TEST_CASE("rmi refuses images containers use unless forced", "[image][cli]") {
  TempStateRoot root;
  LeakCheck leaks(root.path());
  std::string id = import_ok(root, {busybox_rootfs_tarball(), "busybox"});
  // A container record as the container engine writes it; only its "Image" matters here.
  std::string record_dir = StateRoot::resolve(root.path()).containers() + "/" + std::string(64, 'c');
  REQUIRE(fs::make_directories(record_dir));
  REQUIRE(fs::write_file_atomic(record_dir + "/container.json", nlohmann::json({{"Image", id}}).dump()));

  auto refused = cli(root, {"rmi", "busybox"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err == "Error: conflict: unable to remove image busybox: image is being used by a container\n");
  auto forced = cli(root, {"rmi", "-f", "busybox"});
  CHECK(forced.exit_code == 0);
  CHECK(forced.out == "Untagged: busybox:latest\n");
  auto rows = lines_of(cli(root, {"images"}).out);
  REQUIRE(rows.size() == 2);
  CHECK(std::regex_search(rows[1], std::regex("<none> +<none> +" + id.substr(7, 12))));
  CHECK(leaks.leaks().empty());
}

TEST_CASE("a broken tarball fails with where, and the store stays as it was", "[image][cli]") {
  TempStateRoot root;
  LeakCheck leaks(root.path());
  import_ok(root, {busybox_rootfs_tarball(), "busybox"});
  auto before = cli(root, {"image", "inspect", "busybox"}).out;
  StateRoot state = StateRoot::resolve(root.path());
  auto blobs_before = fs::list_directory(state.images() + "/blobs/sha256").value();
  auto layers_before = fs::list_directory(state.layers()).value();

  auto whole = fs::read_file(busybox_rootfs_tarball()).value();
  std::string path = write_temp_file(root, "rootfs.tar", whole.substr(0, whole.size() / 2 + 100));
  auto truncated = cli(root, {"import", path, "broken"});
  CHECK(truncated.exit_code == 1);
  CHECK(truncated.err.find("Error: import: reading " + path + ": ") == 0);
  CHECK(truncated.err.find("runcated tar archive") != std::string::npos);

  std::string garbage = write_temp_file(root, "garbage.tar", std::string(10000, 'x'));
  auto bad = cli(root, {"import", garbage});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("nrecognized archive format") != std::string::npos);

  CHECK(cli(root, {"import", root.path() + "/does-not-exist"}).exit_code == 1);
  CHECK(cli(root, {"import", garbage, "Bad:Name"}).err.find("must be lowercase") != std::string::npos);
  CHECK(cli(root, {"image", "inspect", "busybox"}).out == before);
  CHECK(lines_of(cli(root, {"images"}).out).size() == 2);
  CHECK(fs::list_directory(state.images() + "/blobs/sha256").value() == blobs_before);
  CHECK(fs::list_directory(state.layers()).value() == layers_before);

  CHECK(cli(root, {"import"}).exit_code == 125);
  CHECK(cli(root, {"images", "--bogus"}).exit_code == 125);
  CHECK(cli(root, {"images", "--format", "{{.ID}}x"}).exit_code == 125);
  CHECK(leaks.leaks().empty());
}
