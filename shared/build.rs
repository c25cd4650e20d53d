//! The bundled rules, their test events and the check catalog are embedded with `include_dir!`,
//! which cargo does not track: rebuild when anything under those folders changes.
fn main() {
    println!("cargo:rerun-if-changed=../rules");
    println!("cargo:rerun-if-changed=../checks");
}
