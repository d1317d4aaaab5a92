#include <catch2/catch.hpp>

#include "core/fs.h"
#include "core/text.h"
#include "engine/container/engine.h"
#include "engine/container/logs.h"
#include "engine/container/record.h"
#include "engine/container/rootfs.h"
#include "engine/container/store.h"

using namespace berth;
using namespace berth::container;

TEST_CASE("log entries round-trip through Docker's json-file format") {
  auto line = encode_log_entry("stdout", "2026-11-24T15:22:28.000000001Z", "say \"hi\"\tnow\n\x01");
  CHECK(line == "{\"log\":\"say \\\"hi\\\"\\tnow\\n\\u0001\",\"stream\":\"stdout\",\"time\":\"2026-11-24T15:22:28.000000001Z\"}\n");
  auto entry = decode_log_entry(line.substr(0, line.size() - 1));
  REQUIRE(entry);
  CHECK(entry->stream == "stdout");
  CHECK(entry->text == "say \"hi\"\tnow\n\x01");
  CHECK(entry->time == "2026-11-24T15:22:28.000000001Z");
  CHECK_FALSE(decode_log_entry("not json"));
  CHECK_FALSE(decode_log_entry("{\"log\":\"unterminated"));
  auto other = decode_log_entry(R"({"log":"caf\u00e9\n","stream":"stderr","time":"t"})");
  REQUIRE(other);
  CHECK(other->text == "caf\xc3\xa9\n");
}

TEST_CASE("log options follow Docker's json-file driver") {
  auto rotation = parse_log_options({{"max-size", "1k"}, {"max-file", "2"}});
  REQUIRE(rotation);
  CHECK(rotation->max_size == 1024);
  CHECK(rotation->max_files == 2);
  CHECK_FALSE(parse_log_options({{"max-file", "0"}}));
  CHECK_FALSE(parse_log_options({{"max-size", "big"}}));
  CHECK_FALSE(parse_log_options({{"colour", "blue"}}));
}

TEST_CASE("the log writer splits lines, keeps streams apart and rotates by size") {
  auto dir = fs::make_temp_directory("/tmp", "berth-log-test-");
  REQUIRE(dir);
  std::string path = *dir + "/c-json.log";
  {
    auto writer = LogWriter::open(path, LogRotation{400, 3});
    REQUIRE(writer);
    writer->write("stdout", "a\nb");
    writer->write("stderr", "e1\n");
    writer->write("stdout", "c\n");
    for (int i = 0; i < 20; ++i) writer->write("stdout", "line " + std::to_string(i) + "\n");
    writer->write("stdout", "partial");
    writer->flush();
  }
  CHECK(fs::exists(path + ".1"));
  CHECK(fs::exists(path + ".2"));
  CHECK_FALSE(fs::exists(path + ".3"));
  auto entries = read_log(path, {});
  REQUIRE(entries);
  REQUIRE_FALSE(entries->empty());
  CHECK(entries->back().text == "partial");
  LogReadOptions tail;
  tail.tail = 2;
  auto last = read_log(path, tail);
  REQUIRE(last);
  REQUIRE(last->size() == 2);
  CHECK((*last)[0].text == "line 19\n");
  (void)fs::remove_tree(*dir);
}

TEST_CASE("container records survive a round trip and reject garbage") {
  ContainerRecord record;
  record.id = std::string(64, 'a');
  record.name = "web";
  record.image_config.cmd = std::vector<std::string>{"sh"};
  record.image_config.env = {"PATH=/bin"};
  record.settings.memory_bytes = 64 << 20;
  record.settings.entrypoint = std::vector<std::string>{""};
  record.settings.labels["tier"] = "front";
  record.state.status = Status::exited;
  record.state.exit_code = 137;
  record.state.oom_killed = true;
  auto back = record_from_json(to_json(record));
  REQUIRE(back);
  CHECK(back->name == "web");
  CHECK(back->image_config.cmd == record.image_config.cmd);
  CHECK(back->settings.memory_bytes == record.settings.memory_bytes);
  CHECK(back->settings.entrypoint == record.settings.entrypoint);
  CHECK(back->settings.labels == record.settings.labels);
  CHECK(back->state.status == Status::exited);
  CHECK(back->state.exit_code == 137);
  CHECK(back->state.oom_killed);
  CHECK_FALSE(record_from_json("{"));
  CHECK_FALSE(record_from_json("{\"Name\":\"x\"}"));            // no id
  CHECK_FALSE(record_from_json("{\"Id\":\"x\",\"State\":{\"Pid\":\"one\"}}"));  // wrong type
}

TEST_CASE("container names follow Docker's rule") {
  CHECK(is_valid_name("web-1"));
  CHECK(is_valid_name("a.b_c"));
  CHECK_FALSE(is_valid_name("-web"));
  CHECK_FALSE(is_valid_name("we b"));
  CHECK_FALSE(is_valid_name("x"));
  CHECK_FALSE(is_valid_name("a/b"));
  auto generated = random_name();
  CHECK(generated.find('_') != std::string::npos);
  CHECK(is_valid_name(generated));
}

TEST_CASE("the store reserves names atomically, resolves prefixes and frees names on removal") {
  auto dir = fs::make_temp_directory("/tmp", "berth-store-test-");
  REQUIRE(dir);
  ContainerStore store(StateRoot::resolve(*dir));
  ContainerRecord a;
  a.name = "alpha";
  a.created = "2026-01-01T00:00:00Z";
  auto created = store.create(a);
  REQUIRE(created);
  auto duplicate = store.create(a);
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().message().find("already in use") != std::string::npos);
  ContainerRecord b;
  b.created = "2026-01-02T00:00:00Z";
  auto generated = store.create(b);
  REQUIRE(generated);
  CHECK_FALSE(generated->name.empty());
  CHECK(store.resolve("alpha").value() == created->id);
  CHECK(store.resolve("/alpha").value() == created->id);
  CHECK(store.resolve(created->id.substr(0, 12)).value() == created->id);
  CHECK_FALSE(store.resolve("nothing"));
  auto listed = store.list();
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].id == generated->id);  // newest first
  REQUIRE(store.remove(*created));
  CHECK_FALSE(store.resolve("alpha"));
  CHECK(store.create(a));  // the name is free again
  // A directory left by a create killed before its rename is cleaned by the next listing.
  REQUIRE(fs::make_directories(store.state().containers() + "/.creating-deadbeef"));
  REQUIRE(store.list());
  CHECK_FALSE(fs::exists(store.state().containers() + "/.creating-deadbeef"));
  (void)fs::remove_tree(*dir);
}

TEST_CASE("overlay options put the top layer first and stay relative to the layer store") {
  OverlayPaths paths{{"/s/layers/l/AAA", "/s/layers/l/BBB", "l/CCC"}, "/c/diff", "/c/work", "/c/rootfs"};
  CHECK(overlay_options(paths, "/s/layers") == "lowerdir=l/CCC:l/BBB:l/AAA,upperdir=/c/diff,workdir=/c/work");
  CHECK(overlay_options(paths, "") == "lowerdir=l/CCC:/s/layers/l/BBB:/s/layers/l/AAA,upperdir=/c/diff,workdir=/c/work");
}

TEST_CASE("generated /etc files are Docker's") {
  auto files = make_etc_files("box", "", "none", "127.0.0.1 myhost\n",
                              "# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.org\n");
  CHECK(files.hostname == "box\n");
  CHECK(files.hosts.find("127.0.0.1\tlocalhost") != std::string::npos);
  CHECK(files.hosts.find("myhost") == std::string::npos);
  CHECK(files.resolv_conf.find("127.0.0.53") == std::string::npos);  // unreachable from the container
  CHECK(files.resolv_conf.find("nameserver 10.0.0.2") != std::string::npos);
  CHECK(files.resolv_conf.find("search example.org") != std::string::npos);
  auto host = make_etc_files("h", "", "host", "127.0.0.1 myhost\n", "nameserver 127.0.0.53\n");
  CHECK(host.hosts == "127.0.0.1 myhost\n");
  CHECK(host.resolv_conf == "nameserver 127.0.0.53\n");
  auto with_ip = make_etc_files("web", "corp", "bridge", "", "", "10.1.0.2");
  CHECK(with_ip.hosts.find("10.1.0.2\tweb.corp\tweb") != std::string::npos);
}

TEST_CASE("ps status strings are Docker's") {
  ContainerRecord record;
  record.state.status = Status::running;
  record.state.started_at = "2026-11-24T10:00:00.000000000Z";
  CHECK(describe_status(record, "2026-11-24T10:05:00.000000000Z") == "Up 5 minutes");
  record.state.status = Status::exited;
  record.state.exit_code = 137;
  record.state.finished_at = "2026-11-24T10:00:00Z";
  CHECK(describe_status(record, "2026-11-24T10:00:03Z") == "Exited (137) 3 seconds ago");
  record.state.status = Status::created;
  CHECK(describe_status(record, "2026-11-24T10:00:03Z") == "Created");
  CHECK(seconds_between("2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z") == 3600);
  CHECK(seconds_between("garbage", "2026-11-24T11:00:00Z") == 0);
}
