{
  "targets": [
    {
      "target_name": "copper_torch",
      "sources": [
        "src/native/addon.cc",
        "src/native/tensor.cc",
        "src/native/ops.cc",
        "src/native/nn.cc",
        "src/native/serialize.cc",
        "src/native/dispatch.cc",
        "src/native/distributed.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs include)",
        "src/native/compat"
      ],
      "libraries": [
        "-L<!(node scripts/libtorch.mjs libdir)",
        "-Wl,-rpath,<!(node scripts/libtorch.mjs libdir)",
        "-Wl,--no-as-needed",
        "<!@(node scripts/libtorch.mjs libs)"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "<!@(node scripts/libtorch.mjs defines)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations", "-Werror=switch", "<!@(node scripts/libtorch.mjs cflags)"]
    }
  ]
}
