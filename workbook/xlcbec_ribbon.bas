Attribute VB_Name = "xlcbec_ribbon"
' Ribbon callbacks of the xlcbec add-in (source of the module of that name in xlcbec.xlam).
'
' Every button in customUI.xml has onAction="xlcbec_ribbon.RunTagged" and a tag.
' RunTagged hands the tag to Python, where xlcbec.excel.ribbon.dispatch looks it
' up in a fixed table; the tag is data, never code. RunPython comes from the
' xlwings module of this add-in.
Option Explicit

' The buttons that need no open workbook (xlcbec.excel.ribbon: Action.needs_workbook = False).
Private Const NO_WORKBOOK_TAGS As String = "|new_template|import_data|help|"

Sub RunTagged(control As IRibbonControl)
    Dim blank As Workbook
    ' xlwings' RunPython reads its settings through the active workbook, so it fails
    ' with run-time error 91 when none is open (only add-ins loaded, or a file in
    ' Protected View).
    If ActiveWorkbook Is Nothing Then
        If InStr(NO_WORKBOOK_TAGS, "|" & control.Tag & "|") = 0 Then
            AskForWorkbook
            Exit Sub
        End If
        ' This button makes its own workbook or only shows text: give RunPython a blank one.
        Set blank = Workbooks.Add
    End If
    RunPython "import xlcbec.excel.ribbon as r; r.dispatch('" & control.Tag & "')"
    #If Not Mac Then
        ' On Windows RunPython has finished here: close the blank workbook again if nothing
        ' was put into it. (On macOS Python runs on in the background and still needs it.)
        If Not blank Is Nothing Then
            If blank.Saved Then blank.Close SaveChanges:=False
        End If
    #End If
End Sub

' Fallback without the ribbon (run it with Alt+F8 or from a button on a sheet):
' runs the analyses selected in Settings, like Refresh all.
Sub RunMain()
    If ActiveWorkbook Is Nothing Then
        AskForWorkbook
        Exit Sub
    End If
    RunPython "import xlcbec.excel.ribbon as r; r.main()"
End Sub

Private Sub AskForWorkbook()
    MsgBox "Open or create a workbook first: this button works on the active workbook's input sheets." & vbLf & _
           "(New template makes one. A file opened in Protected View needs Enable Editing.)" & vbLf & vbLf & _
           ChrW(&H8BF7) & ChrW(&H5148) & ChrW(&H6253) & ChrW(&H5F00) & ChrW(&H6216) & ChrW(&H65B0) & ChrW(&H5EFA) & _
           ChrW(&H4E00) & ChrW(&H4E2A) & ChrW(&H5DE5) & ChrW(&H4F5C) & ChrW(&H7C3F) & ChrW(&H3002), _
           vbExclamation, "xlcbec"
End Sub
