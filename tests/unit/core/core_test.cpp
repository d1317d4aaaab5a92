#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/fs.h"
#include "core/lock.h"
#include "core/paths.h"
#include "core/process.h"
#include "core/text.h"

using namespace berth;

TEST_CASE("byte sizes and CPU counts parse as Docker's flags") {
  CHECK(text::parse_byte_size("512m") == 512LL * 1024 * 1024);
  CHECK(text::parse_byte_size("1g") == 1024LL * 1024 * 1024);
  CHECK(text::parse_byte_size("1.5k") == 1536);
  CHECK(text::parse_byte_size("100") == 100);
  CHECK(text::parse_byte_size("64MB") == 64LL * 1024 * 1024);
  CHECK_FALSE(text::parse_byte_size("lots"));
  CHECK_FALSE(text::parse_byte_size("-5m"));
  CHECK_FALSE(text::parse_byte_size(""));
  CHECK(text::parse_nano_cpus("1.5") == 1500000000LL);
  CHECK(text::parse_nano_cpus("0.01") == 10000000LL);
  CHECK_FALSE(text::parse_nano_cpus("two"));
  CHECK_FALSE(text::parse_nano_cpus("-1"));
}

TEST_CASE("human durations and sizes read like Docker's") {
  CHECK(text::human_duration(0) == "Less than a second");
  CHECK(text::human_duration(1) == "1 second");
  CHECK(text::human_duration(45) == "45 seconds");
  CHECK(text::human_duration(90) == "About a minute");
  CHECK(text::human_duration(600) == "10 minutes");
  CHECK(text::human_duration(3600) == "About an hour");
  CHECK(text::human_size(999) == "999B");
  CHECK(text::human_size(1980000) == "1.98MB");
}

TEST_CASE("process start times come from field 22, even with odd command names") {
  std::string stat = "1234 (a) b (c) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10";
  CHECK(parse_start_time(stat).value() == 987654);
  CHECK_FALSE(parse_start_time("garbage"));
  auto self = identify_process(getpid());
  REQUIRE(self);
  CHECK(process_is_alive(*self));
  CHECK_FALSE(process_is_alive(ProcessIdentity{self->pid, self->start_time + 1}));
  CHECK(exit_code_from_wait_status(0x0300) == 3);  // exited 3
  CHECK(exit_code_from_wait_status(9) == 137);     // killed by SIGKILL
}

TEST_CASE("atomic writes replace whole files, and trees are removed without following links") {
  auto dir = fs::make_temp_directory("/tmp", "berth-core-test-");
  REQUIRE(dir);
  std::string file = *dir + "/record.json";
  REQUIRE(fs::write_file_atomic(file, "one"));
  REQUIRE(fs::write_file_atomic(file, "two", 0600, fs::Durability::process_crash));
  CHECK(fs::read_file(file).value() == "two");
  auto names = fs::list_directory(*dir);
  REQUIRE(names);
  CHECK(names->size() == 1);  // no temp file left

  auto outside = fs::make_temp_directory("/tmp", "berth-core-outside-");
  REQUIRE(outside);
  REQUIRE(fs::write_file_atomic(*outside + "/keep", "precious"));
  REQUIRE(fs::make_directories(*dir + "/a/b/c"));
  REQUIRE(::symlink(outside->c_str(), (*dir + "/a/b/link").c_str()) == 0);
  REQUIRE(fs::remove_tree(*dir));
  CHECK_FALSE(fs::exists(*dir));
  CHECK(fs::read_file(*outside + "/keep").value() == "precious");
  REQUIRE(fs::remove_tree(*outside));
  CHECK(fs::remove_tree("/tmp/berth-does-not-exist-xyz"));
}

TEST_CASE("open_in_root keeps symlinks inside the root") {
  auto root = fs::make_temp_directory("/tmp", "berth-root-test-");
  REQUIRE(root);
  REQUIRE(fs::make_directories(*root + "/etc"));
  REQUIRE(fs::write_file_atomic(*root + "/etc/passwd", "inside"));
  REQUIRE(::symlink("/etc/passwd", (*root + "/escape").c_str()) == 0);
  REQUIRE(::symlink("../../../../etc/passwd", (*root + "/dots").c_str()) == 0);
  UniqueFd root_fd(::open(root->c_str(), O_PATH | O_DIRECTORY));
  for (const char* path : {"escape", "dots", "/etc/passwd", "../../etc/passwd"}) {
    auto fd = fs::open_in_root(root_fd.get(), path, O_RDONLY);
    REQUIRE(fd);
    char buffer[16] = {};
    CHECK(::read(fd->get(), buffer, sizeof buffer - 1) == 6);
    CHECK(std::string(buffer) == "inside");
  }
  REQUIRE(fs::remove_tree(*root));
}

TEST_CASE("state roots and locks") {
  auto root = StateRoot::resolve("/tmp/x/");
  CHECK(root.lib == "/tmp/x/lib");
  CHECK(root.run == "/tmp/x/run");
  CHECK(root.images() == "/tmp/x/lib/images");
  auto dir = fs::make_temp_directory("/tmp", "berth-lock-test-");
  REQUIRE(dir);
  auto held = FileLock::acquire(*dir + "/lock");
  REQUIRE(held);
  CHECK(held->held());
  pid_t child = fork();
  if (child == 0) {
    auto other = FileLock::try_acquire(*dir + "/lock");
    _exit(other && !other->held() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);  // busy for another process
  held->release();
  CHECK(FileLock::try_acquire(*dir + "/lock").value().held());
  REQUIRE(fs::remove_tree(*dir));
}

TEST_CASE("sha256 digests") {
  CHECK(sha256_digest("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(is_sha256_digest(sha256_digest("x")));
  CHECK_FALSE(is_sha256_digest("sha256:XYZ"));
}

TEST_CASE("signal names as docker kill and --stop-signal take them") {
  CHECK(parse_signal("TERM") == SIGTERM);
  CHECK(parse_signal("SIGKILL") == SIGKILL);
  CHECK(parse_signal("sigusr1") == SIGUSR1);
  CHECK(parse_signal("9") == 9);
  CHECK(parse_signal("NOPE") == -1);
  CHECK(parse_signal("0") == -1);
  CHECK(parse_signal("99") == -1);
  CHECK(parse_signal("") == -1);
}
