"""The ExpectationSuite kind: Great Expectations expectations as quality gates on a dataset."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from kpigov.specs.base import DatasetRef, Envelope, Name, SpecModel, Text


class Expectation(SpecModel):
    """One Great Expectations expectation, in GX's own ``type`` name and kwargs."""

    id: Name = Field(description="Stable rule id; results are keyed on it.")
    type: Name = Field(description="GX expectation type, e.g. expect_column_values_to_not_be_null.")
    kwargs: dict[Name, Any] = Field(default_factory=dict)
    severity: Literal["error", "warning"] = Field(
        description="error withholds every KPI downstream of the dataset; warning annotates them.")
    description: Text | None = None


class ExpectationSuiteSpec(SpecModel):
    dataset: DatasetRef
    expectations: list[Expectation] = Field(min_length=1)


class ExpectationSuite(Envelope):
    KIND: ClassVar[str] = "ExpectationSuite"
    kind: Literal["ExpectationSuite"]
    spec: ExpectationSuiteSpec
