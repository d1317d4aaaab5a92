#include <catch2/catch.hpp>

#include "engine/image/oci_documents.h"
#include "engine/image/store_layout.h"

using namespace berth::image;

TEST_CASE("configs written by other tools parse, unknown fields ignored", "[oci]") {
  // Shaped like Docker's own config for busybox, with fields we do not model.
  std::string docker = R"({
    "architecture": "amd64", "os": "linux", "created": "2023-07-18T23:19:33.655005962Z",
    "docker_version": "20.10.23", "container": "abc", "unknown": {"nested": [1, 2]},
    "config": {"Hostname": "", "Env": ["PATH=/usr/bin"], "Cmd": "sh", "Entrypoint": null,
               "Image": "sha256:x", "Volumes": {"/data": {}}, "Labels": null, "OnBuild": null,
               "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "StopSignal": "SIGQUIT", "User": "1000:1000",
               "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5000000000, "Retries": 3}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:3d24ee258efc3bfe4066a1a9fb83febf6dc0b1548dfe896161533668281c9f4f"]},
    "history": [{"created": "2023-07-18T23:19:33Z", "created_by": "ADD file", "empty_layer": false},
                {"created_by": "CMD [\"sh\"]", "empty_layer": true}]
  })";
  auto parsed = parse_image_config(docker);
  REQUIRE(parsed);
  CHECK(parsed->architecture == "amd64");
  CHECK(parsed->config.cmd == std::vector<std::string>{"sh"});
  CHECK_FALSE(parsed->config.entrypoint.has_value());
  CHECK(parsed->config.env == std::vector<std::string>{"PATH=/usr/bin"});
  CHECK(parsed->config.volumes == std::vector<std::string>{"/data"});
  CHECK(parsed->config.exposed_ports == std::vector<std::string>{"53/udp", "80/tcp"});
  CHECK(parsed->config.labels.empty());
  CHECK(parsed->config.stop_signal == "SIGQUIT");
  CHECK(parsed->config.user == "1000:1000");
  CHECK(parsed->config.healthcheck_test == std::vector<std::string>{"CMD-SHELL", "true"});
  CHECK(parsed->config.healthcheck_interval_ns == 5000000000);
  CHECK(parsed->config.healthcheck_retries == 3);
  CHECK(parsed->diff_ids.size() == 1);
  REQUIRE(parsed->history.size() == 2);
  CHECK(parsed->history[1].empty_layer);

  // What we write reads back the same.
  auto again = parse_image_config(serialize_image_config(*parsed));
  REQUIRE(again);
  CHECK(again->config == parsed->config);
  CHECK(again->diff_ids == parsed->diff_ids);
  CHECK_FALSE(parse_image_config("[1,2]"));
  CHECK_FALSE(parse_image_config("{broken"));
}

TEST_CASE("manifests and indexes round trip", "[oci]") {
  ImageManifest manifest;
  manifest.config = {std::string(kMediaTypeImageConfig), "sha256:" + std::string(64, 'c'), 123, {}};
  manifest.layers = {{std::string(kMediaTypeLayerTar), "sha256:" + std::string(64, 'd'), 456, {}}};
  auto parsed = parse_image_manifest(serialize_image_manifest(manifest));
  REQUIRE(parsed);
  CHECK(parsed->media_type == kMediaTypeImageManifest);
  CHECK(parsed->config == manifest.config);
  CHECK(parsed->layers == manifest.layers);
  CHECK_FALSE(parse_image_manifest(R"({"layers": []})"));

  ImageIndex index;
  index.manifests.push_back({std::string(kMediaTypeImageManifest), "sha256:" + std::string(64, 'a'), 1,
                             {{std::string(kAnnotationRefName), "docker.io/library/x:1"}}});
  auto read_back = parse_image_index(serialize_image_index(index));
  REQUIRE(read_back);
  REQUIRE(read_back->manifests.size() == 1);
  CHECK(read_back->manifests[0] == index.manifests[0]);
}

TEST_CASE("index names: a tag moves, an image without names stays listed once", "[oci][index]") {
  ImageIndex index;
  Descriptor a{std::string(kMediaTypeImageManifest), "sha256:" + std::string(64, 'a'), 1, {}};
  Descriptor b{std::string(kMediaTypeImageManifest), "sha256:" + std::string(64, 'b'), 1, {}};
  index_set_reference(index, a, std::nullopt);
  index_set_reference(index, a, std::nullopt);
  REQUIRE(index.manifests.size() == 1);
  index_set_reference(index, a, "docker.io/library/x:1");
  index_set_reference(index, a, "docker.io/library/x:2");
  auto images = index_images(index);
  REQUIRE(images.size() == 1);
  CHECK(images[0].references == std::vector<std::string>{"docker.io/library/x:1", "docker.io/library/x:2"});

  index_set_reference(index, b, "docker.io/library/x:1");  // moves x:1 from a to b
  images = index_images(index);
  REQUIRE(images.size() == 2);
  CHECK(images[0].references == std::vector<std::string>{"docker.io/library/x:2"});
  CHECK(images[1].references == std::vector<std::string>{"docker.io/library/x:1"});

  index_remove_reference(index, "docker.io/library/x:2");  // a keeps one unnamed entry
  images = index_images(index);
  REQUIRE(images.size() == 2);
  CHECK(images[0].manifest.digest == b.digest);
  CHECK(images[1].manifest.digest == a.digest);
  CHECK(images[1].references.empty());
  index_remove_manifest(index, a.digest);
  CHECK(index_images(index).size() == 1);
}

TEST_CASE("RFC 3339 times as configs carry them", "[oci]") {
  CHECK(parse_rfc3339_seconds("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339_seconds("2023-07-18T23:19:33.655005962Z") == 1689722373);
  CHECK(parse_rfc3339_seconds("2023-07-19T01:19:33+02:00") == 1689722373);
  CHECK(parse_rfc3339_seconds("2000-02-29T12:00:00Z") == 951825600);
  CHECK_FALSE(parse_rfc3339_seconds("yesterday"));
  CHECK_FALSE(parse_rfc3339_seconds("2023-07-18T23:19:33"));
  CHECK_FALSE(parse_rfc3339_seconds("2023-13-18T23:19:33Z"));
}
