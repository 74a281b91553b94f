#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kezek_core::fuzzing::public_record(data));
