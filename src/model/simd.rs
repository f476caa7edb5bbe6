//! Which instruction set the yearly step runs on, chosen at run time (pulp's safe dispatch:
//! the crate forbids unsafe code). Every path does the same IEEE operations in the same order
//! (Rust never fuses a multiply and an add on its own, and the step uses no `mul_add`), so the
//! results are bit-identical whichever is chosen; only the speed differs.
//!
//! `MIGPROJ_SIMD=sse2|avx2|avx512` caps the choice (for tests and benchmarks); the default is
//! the best the CPU has.

use std::sync::OnceLock;

/// The instruction sets the step is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InstructionSet {
    /// Baseline x86-64 (two f64 lanes), or the portable build elsewhere.
    Sse2,
    /// x86-64-v3: AVX2 and FMA (four f64 lanes).
    Avx2,
    /// x86-64-v4: AVX-512 (eight f64 lanes).
    Avx512,
}

impl InstructionSet {
    pub const ALL: [InstructionSet; 3] = [Self::Sse2, Self::Avx2, Self::Avx512];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sse2 => "sse2",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text.trim()))
    }

    /// The best instruction set this CPU has.
    pub fn detected() -> Self {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            if pulp::x86::V4::try_new().is_some() {
                return Self::Avx512;
            }
            if pulp::x86::V3::try_new().is_some() {
                return Self::Avx2;
            }
        }
        Self::Sse2
    }

    /// The instruction set runs use: the detected one, capped by `MIGPROJ_SIMD` (read once).
    pub fn chosen() -> Self {
        static CHOSEN: OnceLock<InstructionSet> = OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let best = Self::detected();
            match std::env::var("MIGPROJ_SIMD")
                .ok()
                .as_deref()
                .and_then(Self::parse)
            {
                Some(cap) => cap.min(best),
                None => best,
            }
        })
    }

    /// This instruction set if the CPU has it, else the best below it.
    pub fn available(self) -> Self {
        self.min(Self::detected())
    }

    /// The batch size (trajectories per lane block) that measured fastest on this instruction
    /// set (`cargo bench --bench standard`); results do not depend on it.
    pub fn default_batch(self) -> usize {
        match self {
            Self::Sse2 => 2,
            Self::Avx2 => 4,
            Self::Avx512 => 8,
        }
    }

    /// The pulp dispatcher for this instruction set (the scalar one when the CPU lacks it).
    pub(crate) fn arch(self) -> pulp::Arch {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            match self.available() {
                Self::Avx512 => {
                    if let Some(simd) = pulp::x86::V4::try_new() {
                        return pulp::Arch::V4(simd);
                    }
                }
                Self::Avx2 => {
                    if let Some(simd) = pulp::x86::V3::try_new() {
                        return pulp::Arch::V3(simd);
                    }
                }
                Self::Sse2 => {}
            }
            pulp::Arch::Scalar
        }
        #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
        {
            pulp::Arch::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_cap_at_the_cpu() {
        for set in InstructionSet::ALL {
            assert_eq!(InstructionSet::parse(set.name()), Some(set));
            assert!(set.available() <= InstructionSet::detected());
        }
        assert_eq!(InstructionSet::parse(" AVX2 "), Some(InstructionSet::Avx2));
        assert_eq!(InstructionSet::parse("neon"), None);
    }
}
