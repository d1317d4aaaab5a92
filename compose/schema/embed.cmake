# Writes the Compose JSON schema into a C++ source file as a raw string literal, so the binary carries it.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}"
  "// Generated from compose/schema/compose-spec.json by compose/schema/embed.cmake. Do not edit.\n"
  "namespace berth::compose {\n"
  "extern const char* const kComposeSchemaJson;\n"
  "const char* const kComposeSchemaJson = R\"schema(${content})schema\";\n"
  "}  // namespace berth::compose\n")
