"""The PS3.15 Annex E action table: what the Basic Application Level Confidentiality Profile does
to each attribute of Table E.1-1, and what its two options change.

Actions (PS3.15 E.1.1): D replace with a dummy value, Z replace with an empty (or dummy) value,
X remove, K keep, C clean, U replace the UID with a consistent new one. Combined codes such as
"X/Z" or "X/Z/D" mean "the weakest that keeps the object valid": medgui keeps the attribute
empty (Z) or with a dummy (D) when the original holds a value, so that a Type 1 or Type 2
attribute of any IOD stays present (see `resolve_action`).

Option columns: "C" marks the dates and times that the Retain Longitudinal Temporal Information
with Modified Dates option shifts instead; "K" marks what Retain Patient Characteristics keeps.
Attributes not listed are kept (the profile lists every attribute that can identify), apart from
private attributes, which go unless their (creator, element) is in `SAFE_PRIVATE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.datadict import keyword_dict
from pydicom.sr.coding import Code

BASIC_PROFILE = Code("113100", "DCM", "Basic Application Confidentiality Profile")
CLEAN_STRUCTURED_CONTENT = Code("113104", "DCM", "Clean Structured Content Option")
RETAIN_MODIFIED_DATES = Code(
    "113107", "DCM", "Retain Longitudinal Temporal Information Modified Dates Option"
)
RETAIN_PATIENT_CHARACTERISTICS = Code("113108", "DCM", "Retain Patient Characteristics Option")


@dataclass(frozen=True)
class Rule:
    """One row of Table E.1-1: the basic `action` and whether the dates option shifts it
    (`shift_with_dates`) or the patient characteristics option keeps it (`patient_trait`)."""

    action: str
    shift_with_dates: bool = False
    patient_trait: bool = False


# keyword, basic profile action, option flags (C: shifted with modified dates, K: patient trait).
# ContentSequence is cleaned recursively with this same table (the Clean Structured Content
# option) rather than removed, so that de-identified SRs keep their measurements.
_TABLE = """
AccessionNumber Z
AcquisitionComments X
AcquisitionContextSequence X
AcquisitionDate X/Z C
AcquisitionDateTime X/Z/D C
AcquisitionDeviceProcessingDescription X/D
AcquisitionFieldOfViewLabel D
AcquisitionProtocolDescription X
AcquisitionTime X/Z C
AcquisitionUID U
ActualHumanPerformersSequence X
AdditionalPatientHistory X
AdmissionID X
AdmittingDate X C
AdmittingDiagnosesCodeSequence X
AdmittingDiagnosesDescription X
AdmittingTime X C
AffectedSOPInstanceUID X
Allergies X
AuthorObserverSequence X
BarcodeValue X/Z
BranchOfService X
CameraOwnerName X
CassetteID X
ClinicalTrialCoordinatingCenterName Z
ClinicalTrialProtocolEthicsCommitteeApprovalNumber X
ClinicalTrialProtocolEthicsCommitteeName D
ClinicalTrialProtocolID D
ClinicalTrialProtocolName Z
ClinicalTrialSeriesDescription X
ClinicalTrialSeriesID X
ClinicalTrialSiteID Z
ClinicalTrialSiteName Z
ClinicalTrialSponsorName D
ClinicalTrialSubjectID D
ClinicalTrialSubjectReadingID D
ClinicalTrialTimePointDescription X
ClinicalTrialTimePointID Z
CommentsOnRadiationDose X
CommentsOnThePerformedProcedureStep X
ConcatenationUID U
ConfidentialityConstraintOnPatientDataDescription X
ConsultingPhysicianIdentificationSequence X
ConsultingPhysicianName Z
ContainerIdentifier D
ContentCreatorIdentificationCodeSequence X
ContentCreatorName Z
ContentDate Z/D C
ContentSequence C
ContentTime Z/D C
ContributionDateTime X/D C
ContributionDescription X
CountryOfResidence X
CurrentPatientLocation X
CustodialOrganizationSequence X
DataSetTrailingPadding X
Date D C
DateTime D C
DerivationDescription X
DetectorID X
DeviceDescription X
DeviceLabel D
DeviceSerialNumber X/Z/D
DeviceUID U
DigitalSignaturesSequence X
DigitalSignatureUID X
DimensionOrganizationUID U
DischargeDate X C
DischargeDiagnosisDescription X
DistributionAddress X
DistributionName X
DoseReferenceUID U
EndAcquisitionDateTime X/D C
EthnicGroup X K
ExpectedCompletionDateTime X C
FailedSOPInstanceUIDList U
FiducialUID U
FillerOrderNumberImagingServiceRequest Z
FrameComments X
FrameOfReferenceUID U
GantryID X
GeneratorID X
GraphicAnnotationSequence D
HumanPerformerName X
HumanPerformerOrganization X
IconImageSequence X
IdentifyingComments X
ImageComments X
ImagePresentationComments X
ImagingServiceRequestComments X
Impressions X
InstanceCreationDate X/D C
InstanceCreationTime X/Z/D C
InstanceCreatorUID U
InstitutionAddress X
InstitutionalDepartmentName X
InstitutionalDepartmentTypeCodeSequence X
InstitutionCodeSequence X/Z/D
InstitutionName X/Z/D
InsurancePlanIdentification X
IntendedRecipientsOfResultsIdentificationSequence X
InterpretationApproverSequence X
InterpretationAuthor X
InterpretationDiagnosisDescription X
InterpretationID X
InterpretationIDIssuer X
InterpretationRecorder X
InterpretationText X
InterpretationTranscriber X
IrradiationEventUID U
IssueDateOfImagingServiceRequest X C
IssuerOfAdmissionID X
IssuerOfAdmissionIDSequence X
IssuerOfPatientID X
IssuerOfServiceEpisodeID X
IssuerOfServiceEpisodeIDSequence X
LabelText X/Z
LargePaletteColorLookupTableUID U
LastMenstrualDate X C
LensMake X
LensModel X
LensSerialNumber X
MAC X
MakerNote X
MediaStorageSOPInstanceUID U
MedicalAlerts X
MedicalRecordLocator X
MilitaryRank X
ModifiedAttributesSequence X
ModifiedImageDescription X
ModifyingDeviceID X
ModifyingDeviceManufacturer X
NameOfPhysiciansReadingStudy X
NamesOfIntendedRecipientsOfResults X
NetworkID X
ObservationDateTime X/D C
ObservationUID U
Occupation X
OperatorIdentificationSequence X
OperatorsName X/Z/D
OrderCallbackPhoneNumber X
OrderCallbackTelecomInformation X
OrderEnteredBy X
OrderEntererLocation X
OriginalAttributesSequence X
Originator X
OtherPatientIDs X
OtherPatientIDsSequence X
OtherPatientNames X
PaletteColorLookupTableUID U
ParticipantSequence X
PatientAddress X
PatientAge X K
PatientBirthDate Z
PatientBirthName X
PatientBirthTime X
PatientComments X
PatientID Z
PatientInstitutionResidence X
PatientInsurancePlanCodeSequence X
PatientMotherBirthName X
PatientName Z
PatientPrimaryLanguageCodeSequence X
PatientPrimaryLanguageModifierCodeSequence X
PatientReligiousPreference X
PatientSetupUID U
PatientSex Z K
PatientSexNeutered X/Z K
PatientSize X K
PatientState X
PatientTelecomInformation X
PatientTelephoneNumbers X
PatientTransportArrangements X
PatientWeight X K
PerformedLocation X
PerformedProcedureStepDescription X
PerformedProcedureStepEndDate X C
PerformedProcedureStepEndTime X C
PerformedProcedureStepID X
PerformedProcedureStepStartDate X C
PerformedProcedureStepStartTime X C
PerformedStationAETitle X
PerformedStationGeographicLocationCodeSequence X
PerformedStationName X
PerformedStationNameCodeSequence X
PerformingPhysicianIdentificationSequence X
PerformingPhysicianName X
PersonAddress X
PersonIdentificationCodeSequence D
PersonName D
PersonTelecomInformation X
PersonTelephoneNumbers X
PhysicianApprovingInterpretation X
PhysiciansOfRecord X
PhysiciansOfRecordIdentificationSequence X
PhysiciansReadingStudyIdentificationSequence X
PlacerOrderNumberImagingServiceRequest Z
PlateID X
PregnancyStatus X K
PreMedication X
ProtocolName X/D
PyramidDescription X
PyramidLabel X
PyramidUID U
ReasonForStudy X
ReasonForTheImagingServiceRequest X
ReasonForTheRequestedProcedure X
ReasonForVisit X
ReceivingAE X
ReferencedFrameOfReferenceUID U
ReferencedImageSequence X/Z/U*
ReferencedPatientPhotoSequence X
ReferencedPatientSequence X
ReferencedPerformedProcedureStepSequence X/Z/D
ReferencedSOPInstanceUID U
ReferencedSOPInstanceUIDInFile U
ReferencedStudySequence X/Z
ReferringPhysicianAddress X
ReferringPhysicianIdentificationSequence X
ReferringPhysicianName Z
ReferringPhysicianTelephoneNumbers X
RegionOfResidence X
RelatedFrameOfReferenceUID U
RequestAttributesSequence X
RequestedContrastAgent X
RequestedProcedureComments X
RequestedProcedureDescription X/Z
RequestedProcedureID X
RequestedProcedureLocation X
RequestedSeriesDescription X
RequestingAE X
RequestingPhysician X
RequestingService X
ResponsibleOrganization X
ResponsiblePerson X
ResultsComments X
ResultsDistributionListSequence X
ResultsID X
ResultsIDIssuer X
RetrieveAETitle X
ReviewerName X/Z
ROIDescription X
ROIInterpreter Z
ROIName Z
RTPlanDescription X
RTPlanLabel D
RTPlanName X
ScheduledHumanPerformersSequence X
ScheduledPatientInstitutionResidence X
ScheduledPerformingPhysicianIdentificationSequence X
ScheduledPerformingPhysicianName X
ScheduledProcedureStepDescription X
ScheduledProcedureStepEndDate X C
ScheduledProcedureStepEndTime X C
ScheduledProcedureStepID X
ScheduledProcedureStepLocation X
ScheduledProcedureStepStartDate X C
ScheduledProcedureStepStartTime X C
ScheduledStationAETitle X
ScheduledStationName X
ScheduledStudyLocation X
SeriesDate X/D C
SeriesDescription X
SeriesInstanceUID U
SeriesTime X/D C
ServiceEpisodeDescription X
ServiceEpisodeID X
SlideIdentifier X
SmokingStatus X K
SOPInstanceUID U
SourceImageSequence X/Z/U*
SourceSerialNumber X/Z
SpecialNeeds X
SpecimenAccessionNumber X
SpecimenIdentifier D
SpecimenUID U
StationAETitle X
StationName X/Z/D
StorageMediaFileSetUID U
StructureSetDescription X
StructureSetLabel D
StructureSetName X
StudyComments X
StudyDate Z C
StudyDescription X
StudyID Z
StudyIDIssuer X
StudyInstanceUID U
StudyTime Z C
SynchronizationFrameOfReferenceUID U
TargetUID U
TemplateExtensionCreatorUID U
TemplateExtensionOrganizationUID U
TextComments X
TextString X
Time D C
TimezoneOffsetFromUTC X
TopicAuthor X
TopicKeywords X
TopicSubject X
TopicTitle X
TrackingUID U
TransactionUID U
TransducerIdentificationSequence X
TreatmentMachineName X/Z
UDISequence X
UID U
UniqueDeviceIdentifier X
VerificationDateTime D C
VerifyingObserverIdentificationCodeSequence Z
VerifyingObserverName D
VerifyingObserverSequence D
VerifyingOrganization D
VisitComments X
XRayDetectorID D
XRayDetectorLabel X
XRaySourceID D
"""


def _parse(text: str) -> dict[str, Rule]:
    rules = {}
    for line in text.strip().splitlines():
        keyword, action, *flags = line.split()
        if keyword not in keyword_dict:
            raise ValueError(f"de-identification table: {keyword} is not a DICOM keyword")
        rules[keyword] = Rule(action, "C" in flags, "K" in flags)
    return rules


RULES: dict[str, Rule] = _parse(_TABLE)

# UIDs that name a kind of thing (a SOP class, a transfer syntax, a coding scheme), not an
# instance: mapping them would break the file, and they identify nobody.
CLASS_UID_KEYWORDS = frozenset(
    {
        "SOPClassUID",
        "MediaStorageSOPClassUID",
        "ReferencedSOPClassUID",
        "ReferencedSOPClassUIDInFile",
        "TransferSyntaxUID",
        "ImplementationClassUID",
        "CodingSchemeUID",
        "ContextGroupExtensionCreatorUID",
        "MappingResourceUID",
        "RelatedGeneralSOPClassUID",
        "OriginalSpecializedSOPClassUID",
    }
)

# Private attributes known to hold acquisition physics only, kept by (private creator, group,
# element within the block). PS3.15 E.3.10 lets a site keep such "safe" private attributes;
# the verification pass still searches them.
SAFE_PRIVATE = frozenset(
    {
        ("SIEMENS MR HEADER", 0x0019, 0x0C),  # B value
        ("SIEMENS MR HEADER", 0x0019, 0x0E),  # diffusion gradient direction
        ("GEMS_PARM_01", 0x0043, 0x39),  # slope/intercept of diffusion images
    }
)


def resolve_action(action: str, has_value: bool) -> str:
    """The single action (D, Z, X, K, C or U) that a table code stands for: a combined code
    keeps the attribute (dummy when it held a value, else empty) so every IOD stays valid."""
    if "/" not in action:
        return action
    parts = action.split("/")
    if "U*" in parts:
        return "U"
    if "D" in parts and has_value:
        return "D"
    return "Z" if "Z" in parts or "D" in parts else parts[0]
