// Every rule that keeps a layer tarball inside its directory, each with a hostile tarball built in memory.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cctype>

#include "core/digest.h"
#include "engine/image/layer_archive.h"
#include "engine/image/tar_entry.h"
#include "tests/unit/image/tar_builder.h"

using namespace berth;
using namespace berth::testing;
using berth::image::UnpackSummary;

namespace {

// A layer directory with a sibling "outside" holding a file an escape would reach.
struct Sandbox {
  TempDir temp;
  std::string layer = temp / "layer";
  std::string outside = temp / "outside";
  Sandbox() {
    REQUIRE(fs::make_directories(layer));
    REQUIRE(fs::make_directories(outside));
    REQUIRE(fs::write_file_atomic(outside + "/secret", "host data", 0644, fs::Durability::process_crash));
  }
  Result<UnpackSummary> unpack(const std::string& tar, bool privileged = false) {
    auto input = bytes_fd(tar);
    UniqueFd root(::open(layer.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return image::unpack_layer(input.get(), root.get(), image::UnpackOptions{privileged});
  }
  Result<UnpackSummary> unpack(const std::vector<TarEntry>& entries) { return unpack(build_tar(entries)); }
  // Nothing but "secret", unchanged, is outside.
  void check_outside_untouched() {
    auto names = fs::list_directory(outside);
    REQUIRE(names);
    CHECK(*names == std::vector<std::string>{"secret"});
    CHECK(fs::read_file(outside + "/secret").value_or("") == "host data");
  }
};

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// What the import does: decompress, then unpack the plain tar.
Result<UnpackSummary> import_bytes(const std::string& bytes, const std::string& layer) {
  auto input = bytes_fd(bytes);
  UniqueFd plain(memfd_create("plain", MFD_CLOEXEC));
  BERTH_TRY(image::decompress_tar(input.get(), plain.get()));
  ::lseek(plain.get(), 0, SEEK_SET);
  UniqueFd root(::open(layer.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return image::unpack_layer(plain.get(), root.get(), image::UnpackOptions{false});
}

}  // namespace

TEST_CASE("entry names: leading slashes stripped, dot components dropped, .. refused", "[tar]") {
  using image::layer_relative_components;
  using V = std::vector<std::string>;
  CHECK(layer_relative_components("a/b/c").value() == V{"a", "b", "c"});
  CHECK(layer_relative_components("/etc/passwd").value() == V{"etc", "passwd"});
  CHECK(layer_relative_components("///./a//./b/").value() == V{"a", "b"});
  CHECK(layer_relative_components("./").value().empty());
  CHECK(layer_relative_components("/").value().empty());
  CHECK_FALSE(layer_relative_components("../x"));
  CHECK_FALSE(layer_relative_components("a/../b"));
  CHECK_FALSE(layer_relative_components("/.."));
  CHECK_FALSE(layer_relative_components("a/.."));
  CHECK_FALSE(layer_relative_components(""));
  CHECK(layer_relative_components("..a/b..").value() == V{"..a", "b.."});
}

TEST_CASE("whiteout names are classified", "[tar]") {
  using image::classify_whiteout;
  using image::WhiteoutKind;
  CHECK(classify_whiteout("file").value().kind == WhiteoutKind::none);
  CHECK(classify_whiteout(".wh.file").value().kind == WhiteoutKind::file);
  CHECK(classify_whiteout(".wh.file").value().hidden_name == "file");
  CHECK(classify_whiteout(".wh..wh..opq").value().kind == WhiteoutKind::opaque);
  CHECK(classify_whiteout(".wh..wh.plnk").value().kind == WhiteoutKind::ignored);
  CHECK_FALSE(classify_whiteout(".wh."));
  CHECK_FALSE(classify_whiteout(".wh.."));
  CHECK_FALSE(classify_whiteout(".wh..."));
  CHECK(image::is_reserved_xattr("trusted.overlay.redirect"));
  CHECK(image::is_reserved_xattr("user.overlay.opaque"));
  CHECK_FALSE(image::is_reserved_xattr("security.capability"));
  CHECK_FALSE(image::is_reserved_xattr("user.comment"));
}

TEST_CASE("a well-formed layer unpacks with content, links, modes and times", "[tar]") {
  Sandbox box;
  auto tool = file_entry("usr/bin/tool", "#!/bin/sh\necho hi\n", 04755);
  tool.mtime = 1600000000;
  auto locked = directory_entry("locked", 0555);
  locked.mtime = 1500000000;
  auto summary = box.unpack({directory_entry("./", 0751), directory_entry("usr"), directory_entry("usr/bin"), tool,
                             symlink_entry("usr/bin/alias", "tool"), symlink_entry("abs", "/usr/bin/tool"),
                             hardlink_entry("usr/bin/hard", "usr/bin/tool"), file_entry("deep/missing/parents/f", "x"), locked,
                             file_entry("locked/inside", "in")});
  INFO((summary ? "" : summary.error().message()));
  REQUIRE(summary);
  CHECK(summary->entries == 10);
  CHECK(summary->content_bytes == 18 + 1 + 2);
  CHECK(fs::read_file(box.layer + "/usr/bin/tool").value_or("") == "#!/bin/sh\necho hi\n");
  CHECK((lmode(box.layer + "/usr/bin/tool") & 07777) == 04755);
  CHECK((lmode(box.layer) & 07777) == 0751);
  struct stat tool_stat {}, hard_stat {}, locked_stat {};
  REQUIRE(::stat((box.layer + "/usr/bin/tool").c_str(), &tool_stat) == 0);
  REQUIRE(::stat((box.layer + "/usr/bin/hard").c_str(), &hard_stat) == 0);
  CHECK(tool_stat.st_ino == hard_stat.st_ino);
  CHECK(tool_stat.st_mtime == 1600000000);
  char target[64] = {};
  REQUIRE(::readlink((box.layer + "/usr/bin/alias").c_str(), target, sizeof target - 1) > 0);
  CHECK(std::string(target) == "tool");
  CHECK(S_ISLNK(lmode(box.layer + "/abs")));
  CHECK(fs::read_file(box.layer + "/deep/missing/parents/f").value_or("") == "x");
  // Directory metadata is applied last: the child did not disturb the read-only mode or the time.
  CHECK(fs::read_file(box.layer + "/locked/inside").value_or("") == "in");
  REQUIRE(::stat((box.layer + "/locked").c_str(), &locked_stat) == 0);
  CHECK((locked_stat.st_mode & 07777) == 0555);
  CHECK(locked_stat.st_mtime == 1500000000);
}

TEST_CASE("later entries replace earlier ones", "[tar]") {
  Sandbox box;
  REQUIRE(box.unpack({file_entry("a", "first"), file_entry("a", "second"), directory_entry("d"), file_entry("d/x", "x"), file_entry("d", "now a file"),
                      symlink_entry("s", "a"), file_entry("s", "plain")}));
  CHECK(fs::read_file(box.layer + "/a").value_or("") == "second");
  CHECK(fs::read_file(box.layer + "/d").value_or("") == "now a file");
  CHECK(S_ISREG(lmode(box.layer + "/s")));
  CHECK(fs::read_file(box.layer + "/a").value_or("") == "second");  // writing "s" did not follow the old symlink
}

TEST_CASE("a .. component is refused and nothing lands outside", "[tar][security]") {
  for (std::string name : {"../outside/evil", "a/../../outside/evil", "./../outside/evil", "a/b/../../../outside/evil"}) {
    Sandbox box;
    auto result = box.unpack({file_entry(name, "pwned")});
    INFO(name);
    REQUIRE_FALSE(result);
    CHECK(result.error().message().find("climbs out of the layer") != std::string::npos);
    CHECK(result.error().message().find(name) != std::string::npos);
    box.check_outside_untouched();
  }
}

TEST_CASE("absolute names are made relative to the layer", "[tar][security]") {
  Sandbox box;
  std::string absolute = box.outside + "/abs-evil";  // an absolute path that exists on the host
  REQUIRE(box.unpack({file_entry(absolute, "inside"), file_entry("/top", "t")}));
  CHECK(fs::read_file(box.layer + absolute).value_or("") == "inside");
  CHECK(fs::read_file(box.layer + "/top").value_or("") == "t");
  box.check_outside_untouched();
}

TEST_CASE("an entry under a symlinked directory is refused", "[tar][security]") {
  for (std::string link_target : {"../outside", "/", "PLACEHOLDER_ABSOLUTE", "."}) {
    Sandbox box;
    if (link_target == "PLACEHOLDER_ABSOLUTE") link_target = box.outside;
    auto result = box.unpack({symlink_entry("link", link_target), file_entry("link/secret", "overwritten")});
    INFO(link_target);
    REQUIRE_FALSE(result);
    CHECK(result.error().message().find("symbolic link") != std::string::npos);
    box.check_outside_untouched();
  }
  SECTION("also deeper in the path, and when the symlink replaced a directory") {
    Sandbox box;
    auto result = box.unpack({directory_entry("a"), directory_entry("a/b"), symlink_entry("a/b", "../../outside"), file_entry("a/b/c/d", "x")});
    REQUIRE_FALSE(result);
    box.check_outside_untouched();
  }
}

TEST_CASE("symlinks are data: never followed when writing their name again", "[tar][security]") {
  Sandbox box;
  // "victim" points at the host file; a later regular file of the same name replaces the link, not the target.
  REQUIRE(box.unpack({symlink_entry("victim", box.outside + "/secret"), file_entry("victim", "replaced")}));
  CHECK(S_ISREG(lmode(box.layer + "/victim")));
  box.check_outside_untouched();
}

TEST_CASE("hard links cannot reach outside the layer", "[tar][security]") {
  SECTION(".. in the target") {
    Sandbox box;
    auto result = box.unpack({hardlink_entry("h", "../outside/secret")});
    REQUIRE_FALSE(result);
    CHECK(result.error().message().find("hard link target") != std::string::npos);
    CHECK_FALSE(lexists(box.layer + "/h"));
  }
  SECTION("target through a symlinked directory") {
    Sandbox box;
    auto result = box.unpack({symlink_entry("sl", box.outside), hardlink_entry("h", "sl/secret")});
    REQUIRE_FALSE(result);
    CHECK(result.error().message().find("symbolic link") != std::string::npos);
    CHECK_FALSE(lexists(box.layer + "/h"));
  }
  SECTION("absolute target is inside the layer") {
    Sandbox box;
    auto result = box.unpack({hardlink_entry("h", box.outside + "/secret")});
    REQUIRE_FALSE(result);  // there is no such file inside the layer
    CHECK_FALSE(lexists(box.layer + "/h"));
  }
  SECTION("a link to a symlink links the symlink itself, not what it points to") {
    Sandbox box;
    REQUIRE(box.unpack({symlink_entry("evil", box.outside + "/secret"), hardlink_entry("h", "evil")}));
    CHECK(S_ISLNK(lmode(box.layer + "/h")));
    struct stat host {};
    REQUIRE(::stat((box.outside + "/secret").c_str(), &host) == 0);
    CHECK(host.st_nlink == 1);
  }
}

TEST_CASE("OCI whiteouts become overlay whiteouts", "[tar]") {
  Sandbox box;
  auto summary = box.unpack({directory_entry("etc"), file_entry("etc/.wh.motd", ""), directory_entry("var/cache"),
                             file_entry("var/cache/.wh..wh..opq", ""), file_entry(".wh..wh.plnk", ""), file_entry("etc/.wh.gone", "")});
  INFO((summary ? "" : summary.error().message()));
  REQUIRE(summary);
  struct stat st {};
  REQUIRE(::lstat((box.layer + "/etc/motd").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
  CHECK_FALSE(lexists(box.layer + "/etc/.wh.motd"));
  CHECK(S_ISCHR(lmode(box.layer + "/etc/gone")));
  char value[8] = {};
  CHECK(::lgetxattr((box.layer + "/var/cache").c_str(), "user.overlay.opaque", value, sizeof value) == 1);
  CHECK(value[0] == 'y');
  CHECK_FALSE(lexists(box.layer + "/var/cache/.wh..wh..opq"));
  CHECK_FALSE(lexists(box.layer + "/.wh..wh.plnk"));
  CHECK(summary->skipped == 1);

  Sandbox bad;
  auto result = bad.unpack({file_entry(".wh..", "")});
  REQUIRE_FALSE(result);
  CHECK(result.error().message().find("invalid whiteout") != std::string::npos);
}

TEST_CASE("overlay's own xattrs are dropped from entries, others kept", "[tar][security]") {
  Sandbox box;
  auto entry = file_entry("f", "data");
  entry.xattrs = {{"trusted.overlay.redirect", "/etc"}, {"user.overlay.origin", "x"}, {"user.berth.test", "kept"}};
  REQUIRE(box.unpack({entry}));
  char value[16] = {};
  CHECK(::lgetxattr((box.layer + "/f").c_str(), "user.overlay.origin", value, sizeof value) < 0);
  CHECK(::lgetxattr((box.layer + "/f").c_str(), "trusted.overlay.redirect", value, sizeof value) < 0);
  ssize_t length = ::lgetxattr((box.layer + "/f").c_str(), "user.berth.test", value, sizeof value);
  if (length >= 0 || errno != ENOTSUP) CHECK(std::string(value, static_cast<size_t>(std::max<ssize_t>(length, 0))) == "kept");
}

TEST_CASE("without privilege devices and fifos are skipped and ownership is not applied", "[tar]") {
  Sandbox box;
  auto owned = file_entry("owned", "x");
  owned.uid = 4242;
  owned.gid = 4343;
  auto summary = box.unpack(build_tar({device_entry("dev/null", AE_IFCHR, 1, 3), device_entry("dev/sda", AE_IFBLK, 8, 0),
                                       device_entry("fifo", AE_IFIFO, 0, 0), owned}),
                            false);
  REQUIRE(summary);
  CHECK(summary->skipped == 3);
  CHECK_FALSE(lexists(box.layer + "/dev/null"));
  CHECK_FALSE(lexists(box.layer + "/dev/sda"));
  CHECK_FALSE(lexists(box.layer + "/fifo"));
  struct stat st {};
  REQUIRE(::stat((box.layer + "/owned").c_str(), &st) == 0);
  CHECK(st.st_uid == ::geteuid());
}

TEST_CASE("the root entry must be a directory", "[tar]") {
  Sandbox box;
  auto result = box.unpack({file_entry(".", "x")});
  REQUIRE_FALSE(result);
  INFO(result.error().message());
  CHECK(result.error().message().find("layer root must be a directory") != std::string::npos);
}

TEST_CASE("a truncated tarball is an error that says where", "[tar]") {
  std::string big(100000, 'z');
  std::string tar = build_tar({file_entry("small", "s"), file_entry("bin/big", big)});
  Sandbox box;
  auto result = import_bytes(tar.substr(0, 3000), box.layer);
  REQUIRE_FALSE(result);
  std::string message = result.error().message();
  INFO(message);
  CHECK(lower(message).find("truncated tar archive") != std::string::npos);
  CHECK(message.find("bin/big") != std::string::npos);
}

TEST_CASE("a truncated compressed stream is an error", "[tar]") {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919);
  std::string compressed = build_tar({file_entry("big", big)}, Compression::gzip);
  Sandbox box;
  auto result = import_bytes(compressed.substr(0, compressed.size() / 2), box.layer);
  REQUIRE_FALSE(result);
  INFO(result.error().message());
  CHECK(lower(result.error().message()).find("truncated") != std::string::npos);
}

TEST_CASE("garbage and empty input are errors", "[tar]") {
  Sandbox box;
  std::string garbage(4096, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 131 + 7) % 251);
  auto result = import_bytes(garbage, box.layer);
  REQUIRE_FALSE(result);
  CHECK(lower(result.error().message()).find("unrecognized archive format") != std::string::npos);
  auto empty = import_bytes("", box.layer);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message() == "empty archive");
  CHECK(fs::list_directory(box.layer).value().empty());
}

TEST_CASE("gzip, zstd, xz and bzip2 are recognised from the content", "[tar]") {
  std::vector<TarEntry> entries{directory_entry("etc"), file_entry("etc/hostname", "box\n")};
  std::string plain = build_tar(entries);
  for (auto compression : {Compression::none, Compression::gzip, Compression::zstd, Compression::xz, Compression::bzip2}) {
    INFO(static_cast<int>(compression));
    std::string packed = build_tar(entries, compression);
    if (compression != Compression::none) CHECK(packed != plain);
    auto input = bytes_fd(packed);
    UniqueFd output(memfd_create("plain", MFD_CLOEXEC));
    auto decompressed = image::decompress_tar(input.get(), output.get());
    REQUIRE(decompressed);
    // The diff id is the digest of the uncompressed tar, whatever the input's compression.
    CHECK(decompressed->diff_id == sha256_digest(plain));
    CHECK(decompressed->size == plain.size());
    Sandbox box;
    REQUIRE(import_bytes(packed, box.layer));
    CHECK(fs::read_file(box.layer + "/etc/hostname").value_or("") == "box\n");
  }
}

TEST_CASE("entry names beyond ustar limits survive through pax", "[tar]") {
  Sandbox box;
  std::string long_name;
  for (int i = 0; i < 12; ++i) long_name += "component-" + std::to_string(i) + "/";
  long_name += "leaf-with-a-rather-long-name-" + std::string(100, 'n');
  REQUIRE(box.unpack({file_entry(long_name, "deep"), file_entry("bïnärÿ-\xff", "raw bytes")}));
  CHECK(fs::read_file(box.layer + "/" + long_name).value_or("") == "deep");
  CHECK(fs::read_file(box.layer + "/bïnärÿ-\xff").value_or("") == "raw bytes");
  auto utf8 = box.unpack(pax_utf8_file_tar("ünïcödé", "utf8"));
  INFO((utf8 ? "" : utf8.error().message()));
  REQUIRE(utf8);
  CHECK(fs::read_file(box.layer + "/ünïcödé").value_or("") == "utf8");
}

TEST_CASE("mutated tarballs fail cleanly and never write outside the layer", "[tar][security]") {
  std::string tar = build_tar({directory_entry("a"), symlink_entry("a/up", "../../outside"), file_entry("a/f", "data"),
                               hardlink_entry("a/h", "a/f"), symlink_entry("abs", "/"), file_entry("b/.wh.x", ""),
                               file_entry("c", std::string(3000, 'c'))});
  uint32_t state = 12345;  // a fixed xorshift sequence: the same mutations on every run
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  for (int round = 0; round < 300; ++round) {
    std::string mutated = tar;
    for (int flips = 1 + static_cast<int>(next() % 8); flips > 0; --flips)
      mutated[next() % std::min<size_t>(mutated.size(), 4096)] = static_cast<char>(next());
    Sandbox box;
    (void)box.unpack(mutated);  // success or error are both fine; escaping is not
    box.check_outside_untouched();
  }
}
