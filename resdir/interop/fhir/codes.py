"""Code lists of resdir's FHIR face: procedure codes per need, screening question codes."""

from __future__ import annotations

from resdir.interop.fhir.common import SNOMED

# Need -> the specific SNOMED CT procedure for a referral, where a vetted code is known.
# Only codes checked against the SDOHCC IG are listed (the IG's ServiceRequest example for
# food insecurity); other needs carry the IG's category code 410606002 "Social service
# procedure" with the program name as text until codes from the VSAC SDOH procedure value
# sets are vetted for them.
PROCEDURE_CODES: dict[str, dict] = {
    "food-insecurity": {"system": SNOMED, "code": "467771000124109",
                        "display": "Assistance with application for food pantry program"},
}

# AHC HRSN core questions (resdir's answer names) -> LOINC, as the SDOHCC IG maps them.
AHC_LOINC: dict[str, tuple[str, str]] = {
    "living_situation": ("71802-3", "Housing status"),
    "housing_problems": ("96778-6", "Problems with place where you live"),
    "food_worry": ("88122-7", "Within the past 12 months we worried whether our food would "
                              "run out before we got money to buy more"),
    "food_didnt_last": ("88123-5", "Within the past 12 months the food we bought just didn't "
                                   "last and we didn't have money to get more"),
    "transportation": ("93030-5", "Has lack of transportation kept you from medical "
                                  "appointments, meetings, work, or from getting things "
                                  "needed for daily living"),
    "utilities": ("96779-4", "Has the electric, gas, oil, or water company threatened to "
                             "shut off services in your home in past 12 months"),
    "safety.hurt": ("95618-5", "Physically hurt you"),
    "safety.insult": ("95617-7", "Insult you or talk down to you"),
    "safety.threaten": ("95616-9", "Threaten you with harm"),
    "safety.scream": ("95615-1", "Scream or curse at you"),
    "safety": ("95614-4", "Total score [HITS]"),
}
