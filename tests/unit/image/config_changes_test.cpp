#include <catch2/catch.hpp>

#include "engine/image/config_changes.h"

using berth::image::apply_config_changes;
using berth::image::expand_dockerfile_word;
using berth::image::ImageConfig;

namespace {

ImageConfig applied(const std::vector<std::string>& changes, ImageConfig config = {}) {
  auto result = apply_config_changes(config, changes);
  INFO((result ? "" : result.error().message()));
  REQUIRE(result);
  return config;
}

std::string error_of(const std::vector<std::string>& changes) {
  ImageConfig config;
  auto result = apply_config_changes(config, changes);
  REQUIRE_FALSE(result);
  return result.error().message();
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("CMD and ENTRYPOINT take the exec form and the shell form", "[changes]") {
  CHECK(applied({R"(CMD ["echo", "hi there"])"}).cmd == Strings{"echo", "hi there"});
  CHECK(applied({"CMD echo hi   there"}).cmd == Strings{"/bin/sh", "-c", "echo hi   there"});
  CHECK(applied({R"(cmd ["a"])"}).cmd == Strings{"a"});
  CHECK(applied({"CMD [not json"}).cmd == Strings{"/bin/sh", "-c", "[not json"});
  CHECK(applied({"CMD [1, 2]"}).cmd == Strings{"/bin/sh", "-c", "[1, 2]"});
  CHECK(applied({"CMD []"}).cmd == Strings{});
  CHECK(applied({R"(ENTRYPOINT ["/bin/app", "--flag"])"}).entrypoint == Strings{"/bin/app", "--flag"});
  CHECK(applied({"ENTRYPOINT exec app"}).entrypoint == Strings{"/bin/sh", "-c", "exec app"});
  // CMD and ENTRYPOINT take the text literally: no variable expansion.
  CHECK(applied({"ENV A=1", "CMD echo $A"}).cmd == Strings{"/bin/sh", "-c", "echo $A"});
}

TEST_CASE("ENTRYPOINT clears a CMD from before the change list but not one set in it", "[changes]") {
  ImageConfig base;
  base.cmd = Strings{"old"};
  CHECK_FALSE(applied({"ENTRYPOINT [\"e\"]"}, base).cmd.has_value());
  auto both = applied({"CMD [\"c\"]", "ENTRYPOINT [\"e\"]"}, base);
  CHECK(both.cmd == Strings{"c"});
  CHECK(both.entrypoint == Strings{"e"});
}

TEST_CASE("ENV takes key=value pairs with quotes and the legacy form", "[changes]") {
  auto config = applied({R"(ENV k=v k2="v 2" k3='single $X' k4=a\ b)"});
  CHECK(config.env == Strings{"k=v", "k2=v 2", "k3=single $X", "k4=a b"});
  CHECK(applied({"ENV PATH /usr/bin:/bin"}).env == Strings{"PATH=/usr/bin:/bin"});
  CHECK(applied({"ENV greeting hello big   world"}).env == Strings{"greeting=hello big   world"});
  CHECK(applied({R"(ENV quoted "a b")"}).env == Strings{"quoted=a b"});
  CHECK(applied({"ENV A=1", "ENV A=2"}).env == Strings{"A=2"});
  CHECK(applied({"ENV EMPTY="}).env == Strings{"EMPTY="});
}

TEST_CASE("ENV expands variables from the environment before the instruction", "[changes]") {
  ImageConfig base;
  base.env = {"PATH=/bin", "HOME=/root"};
  auto config = applied({"ENV PATH=$PATH:/opt/bin X=${HOME}/x Y=${UNSET:-fallback} Z=${HOME:+set} W=\\$HOME"}, base);
  CHECK(config.env == Strings{"PATH=/bin:/opt/bin", "HOME=/root", "X=/root/x", "Y=fallback", "Z=set", "W=$HOME"});
  CHECK(applied({"ENV A=1 B=$A"}).env == Strings{"A=1", "B="});  // same instruction: not yet set
}

TEST_CASE("ENV and LABEL errors", "[changes]") {
  CHECK(error_of({"ENV"}).find("ENV requires at least one argument") != std::string::npos);
  CHECK(error_of({"ENV onlykey"}).find("ENV must have two arguments") != std::string::npos);
  CHECK(error_of({"ENV a=1 b"}).find("can't find =") != std::string::npos);
  CHECK(error_of({"ENV a=\"open"}).find("unterminated double quote") != std::string::npos);
  CHECK(error_of({"ENV =x"}).find("names can not be blank") != std::string::npos);
}

TEST_CASE("LABEL sets labels, quoted and legacy", "[changes]") {
  auto config = applied({R"(LABEL version=1.0 "com.example.desc"="a b")", "LABEL maintainer someone@example.com"});
  CHECK(config.labels == std::map<std::string, std::string>{
                             {"version", "1.0"}, {"com.example.desc", "a b"}, {"maintainer", "someone@example.com"}});
}

TEST_CASE("WORKDIR, USER, STOPSIGNAL", "[changes]") {
  CHECK(applied({"WORKDIR /app"}).working_dir == "/app");
  CHECK(applied({"WORKDIR /app", "WORKDIR sub/../src"}).working_dir == "/app/src");
  CHECK(applied({"WORKDIR relative"}).working_dir == "/relative");
  CHECK(applied({"ENV D=/data", "WORKDIR $D/x/"}).working_dir == "/data/x");
  CHECK(applied({"USER app:app"}).user == "app:app");
  CHECK(applied({"USER 1000"}).user == "1000");
  CHECK(applied({"STOPSIGNAL SIGINT"}).stop_signal == "SIGINT");
  CHECK(applied({"STOPSIGNAL 9"}).stop_signal == "9");
  CHECK(applied({"STOPSIGNAL usr1"}).stop_signal == "usr1");
  CHECK(applied({"STOPSIGNAL SIGRTMIN+3"}).stop_signal == "SIGRTMIN+3");
  CHECK(error_of({"STOPSIGNAL SIGNOPE"}).find("invalid signal") != std::string::npos);
  CHECK(error_of({"STOPSIGNAL 99"}).find("invalid signal") != std::string::npos);
  CHECK(error_of({"USER"}).find("requires at least one argument") != std::string::npos);
}

TEST_CASE("EXPOSE normalises ports and expands ranges", "[changes]") {
  CHECK(applied({"EXPOSE 80 53/udp 8000-8002/TCP"}).exposed_ports ==
        Strings{"53/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp"});
  CHECK(applied({"EXPOSE 80", "EXPOSE 80/tcp"}).exposed_ports == Strings{"80/tcp"});
  CHECK(error_of({"EXPOSE 0"}).find("invalid port") != std::string::npos);
  CHECK(error_of({"EXPOSE 70000"}).find("invalid port") != std::string::npos);
  CHECK(error_of({"EXPOSE 80/icmp"}).find("invalid proto") != std::string::npos);
  CHECK(error_of({"EXPOSE 90-80"}).find("invalid port range") != std::string::npos);
}

TEST_CASE("VOLUME takes a JSON list or words", "[changes]") {
  CHECK(applied({R"(VOLUME ["/data", "/logs"])"}).volumes == Strings{"/data", "/logs"});
  CHECK(applied({"VOLUME /a /b", "VOLUME /a"}).volumes == Strings{"/a", "/b"});
  CHECK(error_of({R"(VOLUME [""])"}).find("empty") != std::string::npos);
}

TEST_CASE("unknown instructions are refused with the change in the message", "[changes]") {
  auto message = error_of({"RUN rm -rf /"});
  CHECK(message.find("--change \"RUN rm -rf /\"") == 0);
  CHECK(message.find("unknown instruction RUN") != std::string::npos);
  CHECK(error_of({"   "}).find("empty instruction") != std::string::npos);
}

TEST_CASE("Dockerfile words: quotes, escapes and expansion", "[changes]") {
  Strings env{"A=1", "B=two words"};
  auto expand = [&](std::string_view word) {
    auto result = expand_dockerfile_word(word, env);
    REQUIRE(result);
    return *result;
  };
  CHECK(expand("plain") == "plain");
  CHECK(expand("$A-${B}") == "1-two words");
  CHECK(expand("'$A'") == "$A");
  CHECK(expand("\"$A \\\"q\\\"\"") == "1 \"q\"");
  CHECK(expand("cost\\$5") == "cost$5");
  CHECK(expand("$") == "$");
  CHECK(expand("${MISSING}x") == "x");
  CHECK(expand("${MISSING-def}") == "def");
  CHECK_FALSE(expand_dockerfile_word("${A", env));
  CHECK_FALSE(expand_dockerfile_word("'open", env));
}
