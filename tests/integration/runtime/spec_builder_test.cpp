// What the engine will feed the runtime: a config.json from engine/spec's builder (Docker's defaults, Docker's
// seccomp profile resolved for this kernel and arch), run through the embedded runtime.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <string>

#include "core/fs.h"
#include "core/process.h"
#include "core/text.h"
#include "engine/runtime/runtime.h"
#include "engine/spec/spec.h"
#include "tests/support/lib/test_env.h"

namespace rt = berth::runtime;

TEST_CASE("a spec from the spec builder runs with Docker's confinement", "[runtime][spec-builder]") {
  berth::testing::TempStateRoot root;
  berth::testing::LeakCheck leaks(root.path());
  {
    std::string bundle = root.path() + "/bundle";
    REQUIRE(berth::fs::make_directories(bundle + "/rootfs"));
    REQUIRE(berth::testing::run_command(
                {"/bin/tar", "-C", bundle + "/rootfs", "-xf", berth::testing::busybox_rootfs_tarball()})
                .exit_code == 0);
    REQUIRE(berth::fs::write_file_atomic(root.path() + "/hostname", "from-engine\n"));
    std::string id = berth::testing::unique_name("rt-spec-");

    berth::image::ImageConfig image;
    image.cmd = std::vector<std::string>{"sh"};
    image.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    berth::spec::RunOptions options;
    options.command = {"sh", "-c",
                       "grep CapEff /proc/self/status; grep Seccomp: /proc/self/status; cat /etc/hostname; "
                       "mount -t tmpfs none /mnt && echo mounted; unshare -m true && echo unshared; "
                       "stat -c 'keys %t:%T' /proc/keys; ls /sys/class/net; "
                       "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo end"};
    options.network_mode = "private";
    options.memory_bytes = 64 << 20;
    options.pids_limit = 100;
    berth::spec::ResolvedUser user;
    berth::spec::SpecInputs inputs;
    inputs.rootfs = bundle + "/rootfs";
    inputs.hostname_file = root.path() + "/hostname";
    inputs.cgroups_path = "/berth/" + id;  // absolute, as the engine passes it (relative paths nest under berth/)
    inputs.container_id = id;
    inputs.cpu_count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    utsname host{};
    ::uname(&host);
    inputs.kernel_release = host.release;
    auto config = berth::spec::build_runtime_spec(image, options, user, inputs);
    INFO((config ? std::string() : config.error().message()));
    REQUIRE(config);
    REQUIRE(berth::fs::write_file_atomic(bundle + "/config.json", *config));

    rt::Runtime runtime(root.path() + "/run/runtime");
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    berth::UniqueFd out_read(out[0]), out_write(out[1]);
    rt::CreateOptions create;
    create.bundle = bundle;
    create.id = id;
    create.stdout_fd = out_write.get();
    create.stderr_fd = out_write.get();
    auto created = runtime.run(create);
    out_write.reset();
    INFO((created ? std::string() : created.error().message()));
    REQUIRE(created);
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(out_read.get(), buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
    auto status = berth::wait_for_child(created->init.pid);
    REQUIRE(status);
    INFO(text);
    CHECK(berth::exit_code_from_wait_status(*status) == 0);
    CHECK(text.find("CapEff:\t00000000a80425fb") != std::string::npos);
    CHECK(text.find("Seccomp:\t2") != std::string::npos);
    CHECK(text.find("from-engine") != std::string::npos);
    CHECK(text.find("mounted") == std::string::npos);
    CHECK(text.find("unshared") == std::string::npos);
    CHECK(text.find("keys 1:3") != std::string::npos);
    CHECK(text.find("lo\n") != std::string::npos);
    CHECK(text.find("67108864") != std::string::npos);
    CHECK(text.find("end") != std::string::npos);
    REQUIRE(runtime.remove(id, false).has_value());
  }
  auto found = leaks.leaks();
  for (auto& leak : found) UNSCOPED_INFO(leak);
  CHECK(found.empty());
}
