//! The catalogue of mistakes in models written as equations: each is refused with a message
//! that names the file, the line and column where it is written, what was found and what was
//! expected (with the closest known name where there is one).

use std::path::Path;

use twins::model_file::ModelSpec;

/// A correct model written as equations; each case below breaks one thing in it.
const GOOD: &str = r##"(
    name: "oral 1-compartment as equations",
    parameters: {
        "CL": (value: 2.0, unit: "L/h"),
        "V": (value: 20.0, unit: "L"),
        "KA": (value: 1.0, unit: "1/h"),
    },
    equations: (
        states: ["depot", "central"],
        covariates: ["WT"],
        code: r#"
            KE = CL / V * (WT / 70) ^ 0.75
            d/dt(depot) = -KA * depot
            d/dt(central) = KA * depot - KE * central
            f(depot) = 0.8
        "#,
    ),
    outputs: [(name: "CP", expression: "central / V", unit: "mg/L")],
    covariates: (defaults: {"WT": 70.0}),
)"##;

/// The message for `GOOD` with `from` replaced by `to`; panics when the model is accepted.
fn refused(from: &str, to: &str) -> String {
    assert!(
        GOOD.contains(from),
        "the case must change the model: {from}"
    );
    let text = GOOD.replacen(from, to, 1);
    match ModelSpec::parse(&text, Path::new("model.ron")) {
        Ok(_) => panic!("accepted a model with `{to}` in place of `{from}`"),
        Err(e) => e.to_string(),
    }
}

fn assert_has(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(message.contains(p), "`{p}` missing from: {message}");
    }
}

#[test]
fn the_good_model_is_accepted() {
    ModelSpec::parse(GOOD, Path::new("model.ron")).expect("the base model of the catalogue");
}

#[test]
fn an_unknown_name_gives_line_column_and_the_closest_name() {
    let m = refused("KA * depot - KE", "KA * depot - KEE");
    // Line 14 of the file, at the column where `KEE` starts (12 spaces, then 29 characters).
    assert_has(
        &m,
        &[
            "model.ron:14:42:",
            "unknown name `KEE`",
            "did you mean `KE`?",
        ],
    );
}

#[test]
fn a_derivative_of_a_state_that_does_not_exist_is_named() {
    let m = refused("d/dt(central) =", "d/dt(centrl) =");
    assert_has(
        &m,
        &[
            "model.ron:14:18:",
            "`centrl` is not a state",
            "did you mean `central`?",
        ],
    );
}

#[test]
fn a_state_without_a_derivative_is_named() {
    let m = refused("d/dt(central) = KA * depot - KE * central", "X = 1");
    assert_has(
        &m,
        &[
            "model.ron:9:9:",
            "state `central` has no derivative",
            "d/dt(central)",
        ],
    );
}

#[test]
fn a_derivative_written_twice_is_refused() {
    let m = refused("f(depot) = 0.8", "d/dt(depot) = 0");
    assert_has(&m, &["model.ron:15:", "d/dt(depot) is written twice"]);
}

#[test]
fn a_missing_operand_is_a_syntax_error_where_it_is_missing() {
    let m = refused("KA * depot - KE * central", "KA * depot - KE *");
    assert_has(&m, &["model.ron:14:", "expected a value"]);
}

#[test]
fn an_unbalanced_parenthesis_is_a_syntax_error() {
    let m = refused("(WT / 70) ^ 0.75", "(WT / 70 ^ 0.75");
    assert_has(&m, &["model.ron:12:", "expected"]);
}

#[test]
fn an_unknown_function_gives_the_closest_function() {
    let m = refused("(WT / 70) ^ 0.75", "expo(WT / 70)");
    assert_has(
        &m,
        &[
            "model.ron:12:",
            "unknown function `expo`",
            "did you mean `exp`?",
        ],
    );
}

#[test]
fn a_function_with_the_wrong_number_of_arguments_is_refused() {
    let m = refused("(WT / 70) ^ 0.75", "exp(WT, 70)");
    assert_has(&m, &["model.ron:12:", "exp() takes one argument, found 2"]);
}

#[test]
fn assigning_a_parameter_is_refused() {
    let m = refused("KE = CL / V", "CL = CL / V");
    assert_has(
        &m,
        &["model.ron:12:13:", "`CL` is a parameter", "assigned once"],
    );
}

#[test]
fn reading_a_quantity_before_it_is_assigned_names_its_line() {
    let m = refused(
        "f(depot) = 0.8",
        "f(depot) = 0.8\n            KE2 = KE3\n            KE3 = 1",
    );
    assert_has(
        &m,
        &[
            "model.ron:16:19:",
            "`KE3` is read before it is assigned (on line 17)",
        ],
    );
}

#[test]
fn a_bioavailability_that_reads_a_state_is_refused() {
    let m = refused("f(depot) = 0.8", "f(depot) = central / 100");
    assert_has(
        &m,
        &[
            "model.ron:15:",
            "f(depot) reads a state or `t`",
            "once per twin",
        ],
    );
}

#[test]
fn a_dose_input_of_an_unknown_state_is_named() {
    let m = refused("f(depot) = 0.8", "f(deport) = 0.8");
    assert_has(&m, &["`deport` is not a state", "did you mean `depot`?"]);
}

#[test]
fn an_undeclared_covariate_is_an_unknown_name() {
    let m = refused("(WT / 70)", "(BW / 70)");
    assert_has(&m, &["model.ron:12:", "unknown name `BW`", "covariates"]);
}

#[test]
fn an_output_with_an_unknown_name_points_into_its_expression() {
    let m = refused("\"central / V\"", "\"central / VV\"");
    assert_has(
        &m,
        &[
            "model.ron:18:51:",
            "output CP",
            "unknown name `VV`",
            "did you mean `V`?",
        ],
    );
}

#[test]
fn an_output_without_an_expression_is_refused() {
    let m = refused("expression: \"central / V\"", "compartment: \"central\"");
    assert_has(&m, &["output CP needs an `expression`"]);
}

#[test]
fn both_a_structure_and_equations_are_refused() {
    let m = refused(
        "    equations: (",
        "    structure: (compartments: 1, absorption: None, elimination: Linear),\n    equations: (",
    );
    assert_has(&m, &["both a built-in `structure` and `equations`"]);
}

#[test]
fn a_state_named_twice_is_refused() {
    let m = refused("[\"depot\", \"central\"]", "[\"depot\", \"depot\"]");
    assert_has(&m, &["model.ron:9:", "state `depot` is named twice"]);
}

#[test]
fn a_state_named_like_a_parameter_is_refused() {
    let m = refused(
        "[\"depot\", \"central\"]",
        "[\"depot\", \"central\", \"V\"]",
    );
    assert_has(&m, &["state `V` is named twice, or is also a parameter"]);
}

#[test]
fn dose_inputs_beside_equations_are_refused() {
    let m = refused(
        "    covariates: (defaults",
        "    dose_inputs: [(compartment: \"depot\", lag: Value(1.0))],\n    covariates: (defaults",
    );
    assert_has(
        &m,
        &["sets lag times", "alag(state)", "not in `dose_inputs`"],
    );
}

#[test]
fn a_derived_value_that_is_not_finite_names_it() {
    let m = refused("KE = CL / V * (WT / 70) ^ 0.75", "KE = CL / (V - 20)");
    assert_has(&m, &["KE = inf", "a finite number"]);
}

#[test]
fn a_negative_bioavailability_is_refused() {
    let m = refused("f(depot) = 0.8", "f(depot) = -0.8");
    assert_has(&m, &["f(depot) = -0.8", ">= 0"]);
}

#[test]
fn a_pd_section_beside_equations_is_refused() {
    let m = refused(
        "    covariates: (defaults",
        "    pd: (exposure_integral: true),\n    covariates: (defaults",
    );
    assert_has(&m, &["no `pd` section"]);
}

#[test]
fn a_number_out_of_range_is_placed_where_it_is_written() {
    let m = refused("f(depot) = 0.8", "f(depot) = 1e400");
    assert_has(
        &m,
        &["model.ron:15:24:", "the number 1e400 is out of range"],
    );
}
