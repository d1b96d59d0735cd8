//! Real `plenum-media-node` processes for cluster tests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;

/// `target/<profile>/plenum-media-node`, built on first use when missing.
pub fn binary() -> PathBuf {
    static BUILD: Once = Once::new();
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target profile directory").to_path_buf();
    let path = dir.join("plenum-media-node");
    BUILD.call_once(|| {
        if !path.exists() {
            let status = Command::new(env!("CARGO"))
                .args(["build", "-p", "plenum-media-node", "--bin", "plenum-media-node"])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building plenum-media-node failed");
        }
    });
    path
}

/// A media node process on free ports; killed when dropped.
pub struct NodeProcess {
    pub child: Child,
    pub uri: String,
}

impl NodeProcess {
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0")
    }

    /// A media node listening on `listen` (a node restarted on its old port).
    pub fn start_on(listen: &str) -> Self {
        Self::spawn(Command::new(binary()).args(["--listen", listen, "--workers", "1"]))
    }

    /// A remote node as the recording tests need one: it records under `root`
    /// and serves its files to whoever knows `secret`.
    pub fn start_recording(root: &std::path::Path, secret: &str) -> Self {
        let mut command = Command::new(binary());
        command.args(["--listen", "127.0.0.1:0", "--workers", "1", "--recording-root"]).arg(root);
        Self::spawn(command.env("PLENUM_NODE_SECRET", secret))
    }

    fn spawn(command: &mut Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("media node starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("media node prints its URI");
        let uri = line.trim().rsplit(' ').next().expect("URI on the line").to_string();
        assert!(uri.starts_with("ws://127.0.0.1:"), "unexpected first line {line:?}");
        Self { child, uri }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
