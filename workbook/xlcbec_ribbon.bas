Attribute VB_Name = "xlcbec_ribbon"
' Ribbon callbacks of the xlcbec add-in (source of the module of that name in xlcbec.xlam).
'
' Every button in customUI.xml has onAction="xlcbec_ribbon.RunTagged" and a tag.
' RunTagged hands the tag to Python, where xlcbec.excel.ribbon.dispatch looks it
' up in a fixed table; the tag is data, never code. RunPython comes from the
' xlwings module of this add-in.
Option Explicit

Sub RunTagged(control As IRibbonControl)
    RunPython "import xlcbec.excel.ribbon as r; r.dispatch('" & control.Tag & "')"
End Sub

' Fallback without the ribbon (run it with Alt+F8 or from a button on a sheet):
' runs the analyses selected in Settings, like Refresh all.
Sub RunMain()
    RunPython "import xlcbec.excel.ribbon as r; r.main()"
End Sub
