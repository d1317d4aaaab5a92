// `--change` instructions of `import` (and later `commit`): Dockerfile syntax applied to an image config. Pure.
//
//   CMD ["a","b"] | CMD a b            exec form, or shell form run as ["/bin/sh","-c","a b"]
//   ENTRYPOINT ...                     as CMD; it also clears a CMD set before this change list (as Dockerfiles do)
//   ENV k=v k2="v 2" | ENV k v w      key=value pairs, or the legacy single "key value" form
//   LABEL k=v ...                      as ENV
//   WORKDIR /path | WORKDIR rel        relative paths are joined to the current WORKDIR
//   USER name[:group]   EXPOSE 80 53/udp 8000-8002   VOLUME ["/a"] | VOLUME /a /b   STOPSIGNAL SIGTERM|15
//
// Values (except CMD/ENTRYPOINT) go through the Dockerfile word rules: quotes are removed, `\` escapes, and $VAR /
// ${VAR} / ${VAR:-default} / ${VAR:+alternative} expand from the config's environment.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "engine/image/image_config.h"

namespace berth::image {

// Applies `changes` in order. On error `config` may be partly changed; the message names the change:
// `--change "RUN x": unknown instruction RUN (allowed: CMD, ENTRYPOINT, ...)`.
Result<void> apply_config_changes(ImageConfig& config, const std::vector<std::string>& changes);

// One Dockerfile word: quote removal, escapes and variable expansion from `env` ("KEY=value" entries).
Result<std::string> expand_dockerfile_word(std::string_view word, const std::vector<std::string>& env);

}  // namespace berth::image
