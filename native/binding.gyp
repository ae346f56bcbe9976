{
  "targets": [
    {
      "target_name": "tandem_native",
      "sources": [
        "src/addon.cc",
        "src/datagram-poller.cc",
        "src/errno-error.cc",
        "src/event-loop.cc",
        "src/interfaces.cc",
        "src/netlink-exchange.cc",
        "src/netlink-socket.cc",
        "src/netlink-uring.cc",
        "src/netns.cc",
        "src/packet-socket.cc",
        "src/tcp-prober.cc",
        "src/thread-scheduling.cc",
        "src/unix-datagram.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror"]
    }
  ]
}
