package web

import "net/http"

// addRoutes lists eyelevel's whole URL surface.
func addRoutes(mux *http.ServeMux, d Deps, v *views) {
	mux.Handle("GET /healthz", handleHealthz(d))
	mux.Handle("GET /readyz", handleReadyz(d))

	// JSON API, described in openapi.json.
	mux.Handle("GET /api/v1/openapi.json", handleOpenAPI())
	mux.Handle("POST /api/v1/accounts", handleRegister(d))
	mux.Handle("POST /api/v1/tokens", handleCreateToken(d))
	mux.Handle("DELETE /api/v1/tokens/current", authed(d, handleDeleteToken(d)))
	mux.Handle("DELETE /api/v1/sessions", authed(d, handleDeleteSessions(d)))
	mux.Handle("GET /api/v1/me", authed(d, handleMe(d)))
	mux.Handle("GET /api/v1/me/export", authed(d, handleExport(d)))
	mux.Handle("POST /api/v1/counselors", authed(d, handleCreateCounselor(d)))
	mux.Handle("GET /api/v1/counselors", authed(d, handleSearchCounselors(d)))
	mux.Handle("GET /api/v1/counselors/{id}", authed(d, handleGetCounselor(d)))
	mux.Handle("PUT /api/v1/counselors/{id}", authed(d, handleUpdateCounselor(d)))
	mux.Handle("GET /api/v1/counselors/{id}/availability", authed(d, handleGetAvailability(d)))
	mux.Handle("PUT /api/v1/counselors/{id}/availability", authed(d, handlePutAvailability(d)))
	mux.Handle("GET /api/v1/counselors/{id}/slots", authed(d, handleSlots(d)))
	mux.Handle("POST /api/v1/appointments", authed(d, handleBook(d)))
	mux.Handle("GET /api/v1/appointments", authed(d, handleListAppointments(d)))
	mux.Handle("GET /api/v1/appointments/{id}", authed(d, handleGetAppointment(d)))
	mux.Handle("DELETE /api/v1/appointments/{id}", authed(d, handleCancel(d)))
	mux.Handle("GET /api/v1/appointments/{id}/room", authed(d, handleRoom(d)))
	mux.Handle("GET /api/v1/appointments/{id}/room/signal", authed(d, handleSignal(d)))
	mux.Handle("POST /api/v1/waitlist", authed(d, handleJoinWaitlist(d)))
	mux.Handle("GET /api/v1/waitlist", authed(d, handleWaitlist(d)))
	mux.Handle("DELETE /api/v1/waitlist/{language}", authed(d, handleLeaveWaitlist(d)))
	// The care program (see api_care.go).
	mux.Handle("GET /api/v1/hotlines", handleHotlines(d))
	mux.Handle("GET /api/v1/questionnaires", handleListQuestionnaires(d))
	mux.Handle("GET /api/v1/questionnaires/{instrument}", handleGetQuestionnaire(d))
	mux.Handle("POST /api/v1/questionnaires/{instrument}/responses", authed(d, handleSubmitResponse(d)))
	mux.Handle("GET /api/v1/questionnaires/{instrument}/responses", authed(d, handleListResponses(d)))
	mux.Handle("GET /api/v1/responses/{id}", authed(d, handleGetResponse(d)))
	mux.Handle("POST /api/v1/self-test", authed(d, handleSelfTest(d)))
	mux.Handle("GET /api/v1/outcome-tasks", authed(d, handleOutcomeTasks(d)))
	mux.Handle("GET /api/v1/program", authed(d, handleProgram(d)))
	mux.Handle("GET /api/v1/program/steps/{n}", authed(d, handleProgramStep(d)))
	mux.Handle("PUT /api/v1/program/steps/{n}/reflection", authed(d, handlePutReflection(d)))
	mux.Handle("GET /api/v1/clients/{id}", authed(d, handleGetClient(d)))
	mux.Handle("GET /api/v1/safety-alerts", authed(d, handleSafetyAlerts(d)))
	mux.Handle("POST /api/v1/safety-alerts", authed(d, handleRaiseAlert(d)))
	mux.Handle("POST /api/v1/safety-alerts/{id}/acknowledge", authed(d, handleAcknowledgeAlert(d)))
	mux.Handle("POST /api/v1/appointments/{id}/rating", authed(d, handleRate(d)))
	mux.Handle("GET /api/v1/ratings/pending", authed(d, handleUnratedSessions(d)))
	mux.Handle("GET /api/v1/ratings", authed(d, handleAllRatings(d)))
	mux.Handle("GET /api/v1/counselors/{id}/ratings", authed(d, handleCounselorRatings(d)))
	mux.Handle("GET /api/v1/reports/impact", authed(d, handleImpactReport(d)))

	// Organizations, contracts, access codes, credits (api_orgs.go).
	mux.Handle("POST /api/v1/organizations", authed(d, handleCreateOrganization(d)))
	mux.Handle("GET /api/v1/organizations", authed(d, handleListOrganizations(d)))
	mux.Handle("POST /api/v1/organizations/{id}/contracts", authed(d, handleCreateContract(d)))
	mux.Handle("GET /api/v1/organizations/{id}/contracts", authed(d, handleListContracts(d)))
	mux.Handle("POST /api/v1/contracts/{id}/codes", authed(d, handleIssueCodes(d)))
	mux.Handle("POST /api/v1/me/codes", authed(d, handleRedeemCode(d)))
	mux.Handle("GET /api/v1/me/credits", authed(d, handleCredits(d)))

	// Booking charges, attendance (api_attendance.go).
	mux.Handle("PUT /api/v1/appointments/{id}/attendance", authed(d, handleSetAttendance(d)))

	// Pricing, purchases, Stripe (api_purchases.go).
	mux.Handle("GET /api/v1/pricing", handleGetPricing(d))
	mux.Handle("PUT /api/v1/pricing", authed(d, handlePutPricing(d)))
	mux.Handle("POST /api/v1/purchases", authed(d, handleBuyPackage(d)))
	mux.Handle("GET /api/v1/purchases", authed(d, handleListPurchases(d)))
	mux.Handle("GET /api/v1/purchases/{id}", authed(d, handleGetPurchase(d)))
	mux.Handle("POST /api/v1/purchases/{id}/refund", authed(d, handleRefundPurchase(d)))
	mux.Handle("POST /api/v1/webhooks/stripe", handleStripeWebhook(d))

	// Care points and organization staff (api_carepoint.go).
	mux.Handle("POST /api/v1/organizations/{id}/staff", authed(d, handleAddStaff(d)))
	mux.Handle("GET /api/v1/organizations/{id}/staff", authed(d, handleListStaff(d)))
	mux.Handle("POST /api/v1/carepoint/clients", authed(d, handleRegisterForClient(d)))
	mux.Handle("GET /api/v1/carepoint/clients", authed(d, handleCarePointClients(d)))
	mux.Handle("DELETE /api/v1/me/carepoint", authed(d, handleEndCarePoint(d)))

	// Buyer reports and statements (api_buyer_report.go).
	mux.Handle("GET /api/v1/contracts/{id}/report", authed(d, handleBuyerReport(d)))
	mux.Handle("GET /api/v1/contracts/{id}/statement.csv", authed(d, handleStatement(d)))

	// Mail outbox status for admins (api_mail.go).
	mux.Handle("GET /api/v1/admin/mail", authed(d, handleMailStatus(d)))
	mux.Handle("POST /api/v1/admin/mail/{id}/retry", authed(d, handleRetryMail(d)))

	// Appointment changes by mail: reschedule, one-click cancel, calendar feed (api_calendar.go).
	mux.Handle("PUT /api/v1/appointments/{id}", authed(d, handleReschedule(d)))
	mux.Handle("POST /api/v1/me/calendar-feed", authed(d, handleCreateCalendarFeed(d)))

	// Account settings, email verification, password resets (api_account.go).
	mux.Handle("PATCH /api/v1/me", authed(d, handlePatchMe(d)))
	mux.Handle("PUT /api/v1/me/password", authed(d, handleChangePassword(d)))
	mux.Handle("POST /api/v1/me/recovery-code", authed(d, handleNewRecoveryCode(d)))
	mux.Handle("POST /api/v1/password-resets", handleRequestReset(d))
	mux.Handle("POST /api/v1/password-resets/recovery", handleRecoverWithCode(d))
	mux.Handle("POST /api/v1/password-resets/{token}", handleResetPassword(d))
	mux.Handle("POST /api/v1/email-verifications/{token}", handleVerifyEmail(d))

	// Secure messages and the safety duty (api_messages.go).
	mux.Handle("GET /api/v1/conversations", authed(d, handleConversations(d)))
	mux.Handle("GET /api/v1/conversations/{user_id}/messages", authed(d, handleMessages(d)))
	mux.Handle("POST /api/v1/conversations/{user_id}/messages", authed(d, handleSendMessage(d)))
	mux.Handle("GET /api/v1/duty/{id}", authed(d, handleDuty(d)))

	// The counselor's workspace: notes, absences, hand-over (api_workspace.go).
	mux.Handle("GET /api/v1/workspace", authed(d, handleWorkspace(d)))
	mux.Handle("GET /api/v1/caseload", authed(d, handleCaseload(d)))
	mux.Handle("GET /api/v1/appointments/{id}/note", authed(d, handleGetNote(d)))
	mux.Handle("PUT /api/v1/appointments/{id}/note", authed(d, handlePutNote(d)))
	mux.Handle("POST /api/v1/absences", authed(d, handleAddAbsence(d)))
	mux.Handle("GET /api/v1/absences", authed(d, handleAbsences(d)))
	mux.Handle("DELETE /api/v1/absences/{id}", authed(d, handleDeleteAbsence(d)))
	mux.Handle("POST /api/v1/absences/{id}/cancel-sessions", authed(d, handleCancelAbsenceSessions(d)))
	mux.Handle("POST /api/v1/handovers", authed(d, handleProposeHandover(d)))
	mux.Handle("GET /api/v1/handovers", authed(d, handleHandovers(d)))
	mux.Handle("POST /api/v1/handovers/{id}/accept", authed(d, handleDecideHandover(d, true)))
	mux.Handle("POST /api/v1/handovers/{id}/decline", authed(d, handleDecideHandover(d, false)))

	// Second factor: TOTP, passkeys, recovery codes (api_secondfactor.go).
	mux.Handle("POST /api/v1/me/totp", authed(d, handleBeginTOTP(d)))
	mux.Handle("POST /api/v1/me/totp/confirm", authed(d, handleConfirmTOTP(d)))
	mux.Handle("DELETE /api/v1/me/totp", authed(d, handleDisableTOTP(d)))
	mux.Handle("POST /api/v1/users/{id}/second-factor/reset", authed(d, handleResetSecondFactor(d)))

	// Access log (api_audit.go).
	mux.Handle("GET /api/v1/me/access-log", authed(d, handleAccessLog(d)))
	mux.Handle("GET /api/v1/admin/audit", authed(d, handleStaffActions(d)))

	// Account deletion and admin tooling (api_deletion.go).
	mux.Handle("DELETE /api/v1/me", authed(d, handleDeleteMe(d)))
	mux.Handle("DELETE /api/v1/counselors/{id}", authed(d, handleDeleteCounselor(d)))

	mux.Handle("GET /api/v1/admin/accounts", authed(d, handleFindAccounts(d)))
	mux.Handle("POST /api/v1/admin/counselors/{id}/deactivate", authed(d, handleDeactivateCounselor(d, true)))
	mux.Handle("POST /api/v1/admin/counselors/{id}/reactivate", authed(d, handleDeactivateCounselor(d, false)))
	mux.Handle("POST /api/v1/admin/counselors/{id}/cancel-sessions", authed(d, handleCancelCounselorSessions(d)))
	mux.Handle("GET /api/v1/admin/session-counts", authed(d, handleSessionCounts(d)))

	// Legal pages and consent (api_consent.go).
	mux.Handle("GET /api/v1/me/consent", authed(d, handleGetConsent(d)))
	mux.Handle("POST /api/v1/me/consent", authed(d, handleGiveConsent(d)))
	mux.Handle("DELETE /api/v1/me/consent", authed(d, handleWithdrawConsent(d)))

	mux.Handle("/api/", handleAPINotFound(d, mux))

	// Pages, rendered on the server; they work without JavaScript.
	mux.Handle("GET /static/", handleStatic(d))
	mux.Handle("GET /favicon.ico", handleFavicon())
	mux.Handle("GET /{$}", v.landing())
	mux.Handle("GET /help", v.help())
	mux.Handle("GET /register", v.registerForm())
	mux.Handle("POST /register", v.register())
	mux.Handle("GET /login", v.loginForm())
	mux.Handle("POST /login", v.login())
	mux.Handle("POST /logout", v.logout())
	mux.Handle("POST /logout/everywhere", v.logoutEverywhere())
	mux.Handle("GET /counselors", v.findCounselor())
	mux.Handle("GET /counselors/{id}", v.counselorPage())
	mux.Handle("GET /book", v.confirmBooking())
	mux.Handle("POST /book", v.book())
	mux.Handle("GET /appointments", v.myAppointments())
	mux.Handle("GET /appointments/{id}/cancel", v.cancelForm())
	mux.Handle("POST /appointments/{id}/cancel", v.cancel())
	mux.Handle("GET /appointments/{id}/room", v.roomPage())
	mux.Handle("GET /profile", v.profileForm())
	mux.Handle("POST /profile", v.saveProfile())
	mux.Handle("GET /availability", v.availabilityForm())
	mux.Handle("POST /availability", v.saveAvailability())
	mux.Handle("GET /admin/counselors", v.adminCounselors())
	mux.Handle("GET /admin/counselors/new", v.newCounselorForm())
	mux.Handle("POST /admin/counselors/new", v.createCounselor())
	mux.Handle("POST /waitlist", v.joinWaitlist())
	mux.Handle("POST /waitlist/leave", v.leaveWaitlist())
	mux.Handle("POST /help/alert", v.raiseAlert())
	mux.Handle("GET /selftest", v.selfTestForm())
	mux.Handle("POST /selftest", v.selfTest())
	mux.Handle("GET /selftest/result", v.selfTestResult())
	mux.Handle("GET /questionnaires/{instrument}", v.questionnaireForm())
	mux.Handle("POST /questionnaires/{instrument}", v.submitQuestionnaire())
	mux.Handle("GET /responses/{id}", v.responsePage())
	mux.Handle("GET /progress", v.progress())
	mux.Handle("GET /export", v.exportPage())
	mux.Handle("GET /program", v.programPage())
	mux.Handle("GET /program/{n}", v.stepPage())
	mux.Handle("POST /program/{n}", v.saveStep())
	mux.Handle("GET /appointments/{id}/rating", v.ratingForm())
	mux.Handle("POST /appointments/{id}/rating", v.rate())
	mux.Handle("GET /clients/{id}", v.clientPage())
	mux.Handle("POST /safety-alerts/{id}/acknowledge", v.acknowledgeAlert())
	mux.Handle("GET /ratings", v.ratingsPage())
	mux.Handle("GET /admin/report", v.reportPage())
	mux.Handle("GET /admin/instruments", v.instrumentsPage())

	// Organizations: landing pages, admin, codes, credits (pages_orgs.go).
	mux.Handle("GET /o/{slug}", v.orgLanding())
	mux.Handle("GET /admin/organizations", v.adminOrganizations())
	mux.Handle("POST /admin/organizations", v.createOrganization())
	mux.Handle("GET /admin/organizations/{id}", v.organizationPage())
	mux.Handle("POST /admin/organizations/{id}/contracts", v.createContract())
	mux.Handle("POST /admin/contracts/{id}/codes", v.issueCodes())
	mux.Handle("GET /codes", v.codesPage())
	mux.Handle("POST /codes", v.redeemCode())

	// Attendance (pages_attendance.go).
	mux.Handle("POST /appointments/{id}/end", v.endSession())
	mux.Handle("POST /appointments/{id}/attendance", v.setAttendance())

	// Pricing, packages, receipts (pages_purchases.go).
	mux.Handle("GET /packages", v.packagesPage())
	mux.Handle("POST /packages", v.buyPackage())
	mux.Handle("GET /purchases", v.purchasesPage())
	mux.Handle("GET /purchases/{id}", v.receiptPage())
	mux.Handle("GET /purchases/{id}/refund", v.refundForm())
	mux.Handle("POST /purchases/{id}/refund", v.refund())
	mux.Handle("GET /admin/pricing", v.pricingForm())
	mux.Handle("POST /admin/pricing", v.savePricing())
	mux.Handle("GET /admin/purchases", v.adminPurchases())

	// Care points and organization staff (pages_carepoint.go).
	mux.Handle("GET /carepoint", v.carePointPage())
	mux.Handle("POST /carepoint/clients", v.registerForClient())
	mux.Handle("GET /carepoint/clients/{id}/slip", v.slipPage())
	mux.Handle("POST /carepoint/appointments/{id}/cancel", v.cancelForClient())
	mux.Handle("GET /carepoint/access", v.carePointAccess())
	mux.Handle("POST /carepoint/access/end", v.endCarePointAccess())
	mux.Handle("GET /org/staff", v.staffPage())
	mux.Handle("POST /org/staff", v.addStaff())
	mux.Handle("GET /admin/organizations/{id}/staff", v.staffPage())
	mux.Handle("POST /admin/organizations/{id}/staff", v.addStaff())

	// Buyer reports (pages_buyer_report.go).
	mux.Handle("GET /org/contracts/{id}/report", v.buyerReportPage("/org/contracts/%s/report"))
	mux.Handle("GET /admin/contracts/{id}/report", v.buyerReportPage("/admin/contracts/%s/report"))

	// Mail outbox status (pages_mail.go).
	mux.Handle("GET /admin/mail", v.adminMailPage())
	mux.Handle("POST /admin/mail/{id}/retry", v.retryMailForm())

	// One-click cancel, reschedule, calendar feed (pages_calendar.go).
	mux.Handle("GET /cancel/{token}", v.cancelLinkPage())
	mux.Handle("POST /cancel/{token}", v.cancelByLink())
	mux.Handle("GET /appointments/{id}/reschedule", v.rescheduleForm())
	mux.Handle("POST /appointments/{id}/reschedule", v.reschedule())
	mux.Handle("GET /calendar-feed", v.calendarFeedPage())
	mux.Handle("POST /calendar-feed", v.newCalendarFeed())
	mux.Handle("GET /calendar/{file}", v.calendarFeed())

	// Settings, recovery codes, email verification, password resets (pages_account_settings.go).
	mux.Handle("GET /settings", v.settingsPage())
	mux.Handle("POST /settings", v.saveSettings())
	mux.Handle("POST /settings/password", v.changePassword())
	mux.Handle("POST /settings/recovery-code", v.newRecoveryCode())
	mux.Handle("GET /verify-email/{token}", v.verifyEmail())
	mux.Handle("GET /password-reset", v.resetRequestForm())
	mux.Handle("POST /password-reset", v.requestReset())
	mux.Handle("POST /password-reset/recovery", v.recoverWithCode())
	mux.Handle("GET /password-reset/{token}", v.resetForm())
	mux.Handle("POST /password-reset/{token}", v.resetPassword())

	// Messages and the safety duty page (pages_messages.go).
	mux.Handle("GET /messages", v.messagesPage())
	mux.Handle("GET /messages/{user_id}", v.threadPage())
	mux.Handle("POST /messages/{user_id}", v.sendMessage())
	mux.Handle("GET /duty/{id}", v.dutyPage())
	mux.Handle("POST /duty/{id}/acknowledge", v.acknowledgeDuty())

	// The counselor's workspace (pages_workspace.go).
	mux.Handle("GET /workspace", v.workspacePage())
	mux.Handle("GET /workspace/clients", v.caseloadPage())
	mux.Handle("GET /workspace/clients/{id}", v.workspaceClientPage())
	mux.Handle("POST /workspace/clients/{id}/handover", v.proposeHandover())
	mux.Handle("POST /workspace/notes/{id}", v.saveNote())
	mux.Handle("GET /workspace/absences", v.absencesPage())
	mux.Handle("POST /workspace/absences", v.addAbsence())
	mux.Handle("POST /workspace/absences/{id}/delete", v.deleteAbsence())
	mux.Handle("POST /workspace/absences/{id}/cancel-sessions", v.cancelAbsenceSessions())
	mux.Handle("GET /handovers", v.handoversPage())
	mux.Handle("POST /handovers/{id}/accept", v.decideHandover(true))
	mux.Handle("POST /handovers/{id}/decline", v.decideHandover(false))

	// Second factor: enrolment, login step, passkeys (pages_secondfactor.go).
	mux.Handle("GET /login/code", v.loginCodeForm())
	mux.Handle("POST /login/code", v.loginCode())
	mux.Handle("GET /settings/second-factor", v.secondFactorPage())
	mux.Handle("POST /settings/second-factor", v.beginTOTP())
	mux.Handle("POST /settings/second-factor/confirm", v.confirmTOTP())
	mux.Handle("POST /settings/second-factor/disable", v.disableTOTP())
	mux.Handle("POST /admin/users/{id}/second-factor/reset", v.resetSecondFactor())
	mux.Handle("POST /settings/second-factor/passkeys/options", v.beginPasskeyRegistration())
	mux.Handle("POST /settings/second-factor/passkeys", v.addPasskey())
	mux.Handle("POST /settings/second-factor/passkeys/{id}/delete", v.deletePasskey())
	mux.Handle("POST /login/passkey/options", v.beginPasskeyLogin())
	mux.Handle("POST /login/passkey", v.passkeyLogin())

	// Access log (pages_audit.go).
	mux.Handle("GET /access-log", v.accessLogPage())
	mux.Handle("GET /admin/audit", v.staffActionsPage())

	// Account deletion and admin tooling (pages_deletion.go).
	mux.Handle("GET /account/delete", v.deleteAccountPage())
	mux.Handle("POST /account/delete", v.deleteAccount())
	mux.Handle("GET /admin/counselors/{id}/delete", v.deleteCounselorPage())
	mux.Handle("POST /admin/counselors/{id}/delete", v.deleteCounselor())

	mux.Handle("GET /admin/accounts", v.adminAccounts())
	mux.Handle("POST /admin/counselors/{id}/deactivate", v.setDeactivated(true))
	mux.Handle("POST /admin/counselors/{id}/reactivate", v.setDeactivated(false))
	mux.Handle("GET /admin/counselors/{id}/standing", v.counselorStanding())
	mux.Handle("POST /admin/counselors/{id}/cancel-sessions", v.cancelCounselorSessions())
	mux.Handle("GET /admin/session-counts", v.sessionCounts())

	// Legal pages and consent (pages_consent.go).
	mux.Handle("GET /imprint", v.legalPage("imprint"))
	mux.Handle("GET /privacy", v.legalPage("privacy"))
	mux.Handle("GET /consent", v.consentPage())
	mux.Handle("POST /consent", v.giveConsent())
	mux.Handle("GET /consent/withdraw", v.withdrawForm())
	mux.Handle("POST /consent/withdraw", v.withdrawConsent())

	mux.Handle("/", v.notFound())
}
