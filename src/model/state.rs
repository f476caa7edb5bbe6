//! The cohort state as ndarray arrays with named axes.
//!
//! - [`Cohorts`]: one stream's migrants `N[sex, age, duration]` (persons), duration innermost.
//! - [`StreamCohorts`]: every stream's, `N[stream, sex, age, duration]`.
//! - [`Batch`]: one stream's state in a batch of trajectories, `N[sex, age, duration, lane]`,
//!   the lane (one trajectory each) innermost, so that every cell update of the step is one
//!   vertical SIMD operation over the batch's trajectories.

use ndarray::{Array3, Array4, ArrayView3, ArrayViewMut, Axis, Dimension};

use super::{Dims, N_AGES, N_SEXES};

/// Axis of the sex (0 female, 1 male) in [`Cohorts`] and [`Batch`].
pub const SEX: Axis = Axis(0);
/// Axis of the single age 0..=100 (100: the open 100+).
pub const AGE: Axis = Axis(1);
/// Axis of the completed years since arrival 0..=D (D: the open D+).
pub const DURATION: Axis = Axis(2);
/// Axis of the trajectory within a [`Batch`], innermost.
pub const LANE: Axis = Axis(3);
/// Axis of the stream in [`StreamCohorts`].
pub const STREAM: Axis = Axis(0);

/// One stream's migrants `N[sex, age, duration]`.
pub type Cohorts = Array3<f64>;
/// Every stream's migrants `N[stream, sex, age, duration]`.
pub type StreamCohorts = Array4<f64>;
/// One stream's migrants in a batch of trajectories `N[sex, age, duration, lane]`.
pub type Batch = Array4<f64>;

impl Dims {
    /// The shape of [`Cohorts`]: (sexes, ages, durations).
    pub fn shape(&self) -> (usize, usize, usize) {
        (N_SEXES, N_AGES, self.n_durations())
    }

    /// An empty state.
    pub fn zeros(&self) -> Cohorts {
        Cohorts::zeros(self.shape())
    }

    /// A state from its cells in `[sex][age][duration]` order.
    pub fn cohorts(&self, cells: Vec<f64>) -> Cohorts {
        Cohorts::from_shape_vec(self.shape(), cells)
            .expect("a state has sexes x ages x durations cells")
    }

    /// An empty batch of `lanes` trajectories.
    pub fn batch(&self, lanes: usize) -> Batch {
        let (sexes, ages, durations) = self.shape();
        Batch::zeros((sexes, ages, durations, lanes))
    }
}

/// The persons in a state, summed cell by cell in `[sex][age][duration]` order (the order
/// every total of the tables uses; ndarray's `sum` adds in another order).
pub fn total(state: ArrayView3<'_, f64>) -> f64 {
    state.iter().sum()
}

/// The cells of a batch or part of one (a row: one sex and age, every duration and lane;
/// or every row of one sex) as lane blocks `[..][lane]`, in the array's order.
pub(crate) fn lanes_mut<'a, D: Dimension, const B: usize>(
    cells: ArrayViewMut<'a, f64, D>,
) -> &'a mut [[f64; B]] {
    let (blocks, rest) = cells
        .into_slice()
        .expect("a batch is contiguous")
        .as_chunks_mut::<B>();
    debug_assert!(rest.is_empty());
    blocks
}
